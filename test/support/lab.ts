// Lab test helpers: a free port range for a lab, and the processes a lab left behind.
import { readdir, readFile } from 'node:fs/promises';
import { labPorts, listenPorts } from '../../src/lab/lab-config.ts';
import { checkPortsFree, findPrograms } from '../../src/lab/lab-preflight.ts';

/** A base port whose whole range is free, below Linux's ephemeral range so other tests' free ports do not collide. */
export async function freeBasePort(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const base = 20_000 + 100 * Math.floor(Math.random() * 120);
    const ports = labPorts(base, nodes);
    try {
      await checkPortsFree([...listenPorts(ports), ports.dns, ports.http01, ports.tlsAlpn01], base);
      return base;
    } catch {
      // Someone listens in this range: try another.
    }
  }
  throw new Error('no free port range for the lab');
}

/** Pids of every process whose command line mentions `dir` (the postmasters' `-D` included). */
export async function processesMentioning(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}

/** Why the lab cannot run here (a program missing), for `skip`; false when it can. */
export function missingPrograms(): string | false {
  try {
    findPrograms();
    return false;
  } catch (err) {
    return (err as Error).message;
  }
}
