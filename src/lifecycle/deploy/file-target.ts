import { plannedFiles, writeFilesAtomically } from './files.ts';
import type { CertificateMaterial, DeployOutcome, FileTarget } from './types.ts';

/** Puts the PEM files in place; `changed: false` when every file already had this content, mode and owner. */
export async function deployFiles(spec: FileTarget, material: CertificateMaterial): Promise<DeployOutcome> {
  const written = await writeFilesAtomically(await plannedFiles(spec, material));
  if (written.length === 0) return { changed: false, detail: `the files of ${material.name} were already up to date` };
  return { changed: true, detail: `wrote ${written.join(', ')}` };
}
