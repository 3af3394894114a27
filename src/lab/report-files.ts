/**
 * The drill reports directory as the web console shows it (`console.drillReports`): the HTML
 * reports `certainty drill` writes, listed and read back. Only regular files directly in the
 * directory, with names of a strict shape, are ever opened: no path separator, no leading dot,
 * no symbolic link (which could point anywhere), so no request can read outside it.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.ts';

/** `drill-2026-12-03T08-41-01-123Z.html` and names given with `--html`: letters, digits, `.`, `_`, `-`. */
const REPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.html$/;
/** Reports are a few hundred kilobytes; anything far larger is not one. */
const MAX_REPORT_BYTES = 32 * 1024 * 1024;
/** The newest ones are what an operator looks for; a directory of years of nightly drills stays one page. */
const MAX_LISTED = 500;

export interface ReportFile {
  name: string;
  modifiedAt: number;
  bytes: number;
}

/** The reports in `dir`, newest first. */
export async function listReports(dir: string): Promise<ReportFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new AppError('notFound', `The drill reports directory ${dir} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); check console.drillReports`, { cause: err });
  }
  const files: ReportFile[] = [];
  for (const e of entries) {
    if (!e.isFile() || !REPORT_NAME.test(e.name)) continue;
    const s = await lstat(join(dir, e.name)).catch(() => undefined);
    if (s?.isFile()) files.push({ name: e.name, modifiedAt: s.mtimeMs, bytes: s.size });
  }
  return files.sort((a, b) => b.modifiedAt - a.modifiedAt || a.name.localeCompare(b.name)).slice(0, MAX_LISTED);
}

/** One report's HTML; `notFound` for a name of another shape, a missing file, a link or a directory. */
export async function readReport(dir: string, name: string): Promise<Buffer> {
  const missing = new AppError('notFound', 'No drill report by that name; the reports page lists them');
  if (!REPORT_NAME.test(name)) throw missing;
  // O_NOFOLLOW: a link put in place after any earlier check is refused by the open itself.
  const file = await open(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (file === undefined) throw missing;
  try {
    const s = await file.stat();
    if (!s.isFile()) throw missing;
    if (s.size > MAX_REPORT_BYTES) throw new AppError('malformed', `${name} is larger than a drill report can be (${MAX_REPORT_BYTES} bytes); open it from ${dir} directly`);
    return await file.readFile();
  } finally {
    await file.close();
  }
}
