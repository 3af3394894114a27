/**
 * A stamp records that the step following a file write (a hook, a reload) finished for one
 * revision. Without it, a hook that failed, or a node that died between writing the files and
 * reloading, would leave files that look up to date while the service still runs the old
 * certificate; the next try would then skip the reload. The stamp holds only the fingerprint.
 */
import { readFile } from 'node:fs/promises';
import { writeFilesAtomically } from './files.ts';

/** Where the stamp of a target whose first written file is `firstPath` lives. */
export const stampPathFor = (firstPath: string): string => `${firstPath}.certainty-deployed`;

/** Whether the stamp at `path` names `fingerprint256`. */
export async function stampMatches(path: string, fingerprint256: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trim() === fingerprint256;
}

export async function writeStamp(path: string, fingerprint256: string): Promise<void> {
  await writeFilesAtomically([{ path, content: `${fingerprint256}\n`, mode: 0o644 }]);
}
