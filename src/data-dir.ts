/**
 * The data directory holds the KEK file, the SQLite database (wrapped CA keys, account keys, token
 * hashes) and the node id: every file in it is private to the server's user (0600), and a
 * directory others can enter is reported at start.
 */
import { chmodSync, statSync, writeFileSync } from 'node:fs';

/** Writes `path` with mode 0600, tightening a file an older version left more open (the mode option only applies on creation). */
export function writePrivateFile(path: string, data: string): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** A warning when the data directory is open to its group or others, else undefined. */
export function dataDirWarning(dir: string): string | undefined {
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  const shown = mode.toString(8).padStart(4, '0');
  return `the data directory ${dir} is accessible to its group or other users (mode ${shown}); its files are 0600, but restrict the directory too: chmod 700 ${dir}`;
}
