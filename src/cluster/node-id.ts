import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * This node's persistent identity (`server_id` in the data directory, mode 0600). Worker `i` of a
 * `serve --workers N` process is `<id>-w<i>`: each worker is a node of its own (heartbeat, leases,
 * audit chain, job claims), and a restarted worker takes back the same id.
 */
export function loadNodeId(dataDir: string, worker?: number): string {
  const path = join(dataDir, 'server_id');
  if (!existsSync(path)) {
    try {
      writeFileSync(path, `node-${randomBytes(6).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const id = readFileSync(path, 'utf8').trim();
  if (!/^[\w.-]{1,64}$/.test(id)) throw new Error(`${path} holds an invalid node id; delete it to create a new one`);
  return worker === undefined ? id : `${id}-w${worker}`;
}
