import { isAppError } from '../errors.ts';
import type { SecretDeps } from './deps.ts';
import { checkPath } from './path.ts';

/** The mount label of any path that does not name a stored mount, so a caller's guesses never become series. */
const OTHER_MOUNT = 'other';

const mountOf = (path: string): string => path.split('/')[0] as string;

/**
 * The mount of `path` when some stored secret lives under it, else `other`: labels stay bounded by
 * the mounts an operator created however many paths callers try. Never throws, so a report cannot
 * hide the error it reports.
 */
async function storedMount(deps: SecretDeps, path: string): Promise<string> {
  try {
    const mount = mountOf(checkPath(path));
    if ((await deps.store.secret(mount)) !== undefined) return mount;
    return (await deps.store.list(`${mount}/`, 1)).length > 0 ? mount : OTHER_MOUNT;
  } catch {
    return OTHER_MOUNT;
  }
}

/**
 * Runs a read or a write of `path` and reports its outcome: success (the path exists now, so its
 * mount does), denied (no policy grants it), failed (anything else: not found, conflict, malformed).
 */
export async function reported<T>(deps: SecretDeps, operation: 'read' | 'write', path: string, fn: () => Promise<T>): Promise<T> {
  const report = deps.report;
  if (report === undefined) return fn();
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    const outcome = isAppError(err) && err.code === 'unauthorized' ? 'denied' : 'failed';
    report.secretOperation(await storedMount(deps, path), operation, outcome);
    throw err;
  }
  report.secretOperation(mountOf(path), operation, 'success');
  return result;
}
