// `certainty lab status`: one look at every part of a lab, each probed independently so a dead
// part shows up as such instead of hiding the rest.
import { LabControl } from './lab-control.ts';
import { httpStatus, type PatroniMemberState } from './lab-probes.ts';
import { readLab, redactUrl } from './lab-state.ts';

export interface LabStatus {
  dir: string;
  frontUrl: string;
  directoryUrl: string;
  rootPemPath: string;
  /** Without its password. */
  databaseUrl: string;
  processes: Array<{ name: string; kind: string; pid: number; alive: boolean }>;
  patroni: { members: PatroniMemberState[] } | { error: string };
  haproxy: Record<'front' | 'db', { servers: Record<string, string> } | { error: string }>;
  /** GET /readyz on each node directly; 0 = no answer. */
  nodes: Array<{ name: string; baseUrl: string; readyz: number }>;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function settle<T>(value: Promise<T>): Promise<T | { error: string }> {
  try {
    return await value;
  } catch (err) {
    return { error: message(err) };
  }
}

export async function labStatus(dir: string): Promise<LabStatus> {
  const state = await readLab(dir);
  const control = new LabControl(state);
  const [patroni, front, db, nodes] = await Promise.all([
    settle(control.patroniCluster().then((members) => ({ members }))),
    settle(control.backendStates('front').then((servers) => ({ servers }))),
    settle(control.backendStates('db').then((servers) => ({ servers }))),
    Promise.all(state.nodes.map(async (n) => ({ name: n.name, baseUrl: n.baseUrl, readyz: await httpStatus(`${n.baseUrl}/readyz`) }))),
  ]);
  return {
    dir: state.dir,
    frontUrl: state.frontUrl,
    directoryUrl: state.directoryUrl,
    rootPemPath: state.rootPemPath,
    databaseUrl: redactUrl(state.databaseUrl),
    processes: Object.values(state.processes).map((p) => ({ name: p.name, kind: p.kind, pid: p.pid, alive: control.alive(p.name) })),
    patroni,
    haproxy: { front, db },
    nodes,
  };
}

/** Human-readable lines for `lab status` without --json. */
export function formatLabStatus(status: LabStatus, table: (headers: string[], rows: string[][]) => string): string {
  const patroni = 'error' in status.patroni
    ? `patroni: ${status.patroni.error}`
    : table(['MEMBER', 'ROLE', 'STATE', 'TIMELINE', 'LAG'], status.patroni.members.map((m) => [
      m.name, m.role, m.state, m.timeline === undefined ? '-' : String(m.timeline), m.lag === undefined ? '-' : String(m.lag),
    ]));
  const proxy = (which: 'front' | 'db'): string => {
    const s = status.haproxy[which];
    return 'error' in s ? `haproxy-${which}: ${s.error}` : table([`HAPROXY ${which.toUpperCase()}`, 'STATE'], Object.entries(s.servers));
  };
  return [
    `lab in ${status.dir}`,
    `  ACME directory:   ${status.directoryUrl}`,
    `  root certificate: ${status.rootPemPath}`,
    `  database:         ${status.databaseUrl}`,
    '',
    table(['PROCESS', 'KIND', 'PID', 'ALIVE'], status.processes.map((p) => [p.name, p.kind, String(p.pid), p.alive ? 'yes' : 'NO'])),
    '',
    patroni,
    '',
    proxy('db'),
    '',
    proxy('front'),
    '',
    table(['NODE', 'URL', 'READYZ'], status.nodes.map((n) => [n.name, n.baseUrl, n.readyz === 0 ? 'no answer' : String(n.readyz)])),
  ].join('\n');
}
