/**
 * User and group names to numeric ids, read from /etc/passwd and /etc/group: Node has no
 * getpwnam, and those files are what the C library reads on the hosts Certainty deploys to
 * (an NSS-only name, e.g. from LDAP, takes its numeric id in the target instead).
 */
import { readFile } from 'node:fs/promises';
import { AppError } from '../../errors.ts';

export function resolveUser(who: string | number): Promise<number> {
  return resolve(who, '/etc/passwd', 'user');
}

export function resolveGroup(who: string | number): Promise<number> {
  return resolve(who, '/etc/group', 'group');
}

async function resolve(who: string | number, file: string, what: string): Promise<number> {
  if (typeof who === 'number') return who;
  if (/^\d+$/.test(who)) return Number(who);
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name === who && id !== undefined && /^\d+$/.test(id)) return Number(id);
  }
  throw new AppError('deployFailed', `no ${what} "${who}" in ${file}: create it, or give the numeric id instead`);
}
