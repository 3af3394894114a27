/**
 * Atomic, idempotent file writes for the targets that put PEM files on disk (file, exec, nginx,
 * haproxy). Each file is written to a temporary file in its own directory, fsynced, given its
 * owner and mode, then renamed over the old one, so a reader (nginx, HAProxy, a hook) sees the old
 * file or the new one, never half of one; a crash leaves at worst a stray temporary file.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../errors.ts';
import { resolveGroup, resolveUser } from './owner.ts';
import type { CertificateMaterial, FileSet } from './types.ts';

/** One file to put in place. */
export interface FileWrite {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

/** The PEM files of a `FileSet`, in the order they are renamed into place (the key first, so a new cert never meets an old key for long). */
export async function plannedFiles(set: FileSet, material: CertificateMaterial): Promise<FileWrite[]> {
  const uid = set.owner === undefined ? undefined : await resolveUser(set.owner);
  const gid = set.group === undefined ? undefined : await resolveGroup(set.group);
  const certMode = parseMode(set.mode, 0o644);
  const keyMode = parseMode(set.keyMode, 0o600);
  const out: FileWrite[] = [];
  const add = (path: string | undefined, content: string, mode: number): void => {
    if (path !== undefined) out.push({ path, content, mode, uid, gid });
  };
  add(set.keyPath, material.keyPem, keyMode);
  add(set.certPath, material.certPem, certMode);
  add(set.chainPath, material.chainPem, certMode);
  add(set.fullchainPath, fullchain(material), certMode);
  return out;
}

/** The leaf followed by its intermediates, each PEM block ending in a newline. */
export function fullchain(material: CertificateMaterial): string {
  return [material.certPem, material.chainPem].filter((p) => p.trim() !== '').map((p) => `${p.trim()}\n`).join('');
}

export function parseMode(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : Number.parseInt(text, 8);
}

/**
 * Writes every file whose content, mode or owner differs; returns the paths it changed (none:
 * everything was already in place). Temporary files are all written before any rename.
 */
export async function writeFilesAtomically(files: readonly FileWrite[]): Promise<string[]> {
  const pending: Array<{ file: FileWrite; temp: string | null }> = [];
  try {
    for (const file of files) {
      const state = await currentState(file);
      if (state === 'same') continue;
      if (state === 'metadata') {
        await applyMetadata(file.path, file);
        pending.push({ file, temp: null });
      } else {
        pending.push({ file, temp: await writeTemp(file) });
      }
    }
    for (const { file, temp } of pending) {
      if (temp !== null) await renameInto(temp, file.path);
    }
  } catch (err) {
    await Promise.all(pending.flatMap(({ temp }) => (temp === null ? [] : [rm(temp, { force: true })])));
    throw fileError(err);
  }
  return pending.map(({ file }) => file.path);
}

async function currentState(file: FileWrite): Promise<'same' | 'metadata' | 'content'> {
  let content: string;
  try {
    content = await readFile(file.path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'content';
    throw err;
  }
  if (content !== file.content) return 'content';
  const s = await stat(file.path);
  const ownerOk = (file.uid === undefined || s.uid === file.uid) && (file.gid === undefined || s.gid === file.gid);
  return ownerOk && (s.mode & 0o7777) === file.mode ? 'same' : 'metadata';
}

async function applyMetadata(path: string, file: FileWrite): Promise<void> {
  if (file.uid !== undefined || file.gid !== undefined) await chown(path, file.uid ?? -1, file.gid ?? -1);
  await chmod(path, file.mode);
}

async function writeTemp(file: FileWrite): Promise<string> {
  const temp = join(dirname(file.path), `.${basename(file.path)}.${randomBytes(6).toString('hex')}.tmp`);
  // Created with the final mode (and owner before any secret byte is written), so the key is never readable by others.
  const handle = await open(temp, 'wx', file.mode & 0o600);
  try {
    if (file.uid !== undefined || file.gid !== undefined) await handle.chown(file.uid ?? -1, file.gid ?? -1);
    await handle.chmod(file.mode);
    await handle.writeFile(file.content, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  return temp;
}

async function renameInto(temp: string, path: string): Promise<void> {
  await rename(temp, path);
  // The rename itself reaches the disk only when the directory is synced.
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** A file-system failure as an operator-facing error that names the path and the fix. */
function fileError(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof AppError || typeof e.code !== 'string') return err;
  const path = e.path ?? (e as { dest?: string }).dest ?? 'a target file';
  const fix: Record<string, string> = {
    EACCES: 'give the user Certainty runs as write access to its directory, or choose another path',
    EPERM: 'changing the owner needs root (or CAP_CHOWN); drop owner/group or run Certainty with that right',
    ENOENT: 'create the directory first',
    ENOTDIR: 'a part of the path is not a directory',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
  };
  return new AppError('deployFailed', `cannot write ${path} (${e.code}): ${fix[e.code] ?? e.message}`, { cause: err });
}
