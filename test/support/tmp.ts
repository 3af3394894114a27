import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Creates a fresh directory under the OS temp dir, e.g. `/tmp/certainty-pebble-AbC123`. */
export function makeTempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `certainty-${label}-`));
}

/** Removes a directory tree; missing directories are fine. */
export function removeDir(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
}
