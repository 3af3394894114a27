// The renewal drills' upstream CA: a second Certainty (SQLite, its own directory in the lab
// directory, a fresh CA each drill run) serving ACME with ARI. Its http-01 validations go to the
// lab's front, where every node answers /.well-known/acme-challenge/ from the database; its DNS
// is the drill's, which resolves every name to 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpRequest } from '../http-client.ts';
import { labPorts } from './lab-config.ts';
import { waitFor } from './lab-probes.ts';
import type { LabProcessRecord, LabState } from './lab-state.ts';
import { REPO_ROOT } from './lab-up.ts';
import { childEnv, isAlive, signalRecord, spawnDetached, stopRecord } from './processes.ts';

const run = promisify(execFile);

/** Runs `certainty <args>` with `env` (a node's or the upstream's) and returns its stdout. */
async function certaintyCli(env: Record<string, string>, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), ...args], { cwd: REPO_ROOT, env: childEnv(env), timeout: 60_000 });
    return stdout;
  } catch (err) {
    throw new Error(`certainty ${args[0] ?? ''} ${args[1] ?? ''} failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err });
  }
}

/** An admin API caller: `baseUrl` over HTTPS trusting `ca`, with a bearer token. */
export type AdminCall = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => Promise<unknown>;

export function adminCaller(baseUrl: string, ca: string, token: string): AdminCall {
  return async (method, path, body) => {
    const res = await httpRequest(`${baseUrl}${path}`, {
      method, ca, timeoutMs: 60_000,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    return res.body.length === 0 ? undefined : JSON.parse(res.body.toString('utf8'));
  };
}

/** A token for the admin API, valid long enough for one drill run. */
export async function adminToken(env: Record<string, string>): Promise<string> {
  return (JSON.parse(await certaintyCli(env, ['token', 'create', 'drill-renewals', '--ttl', '6h', '--json'])) as { token: string }).token;
}

export interface Upstream {
  readonly directoryUrl: string;
  /** Its root, the trust for its HTTPS (the lab's issuer is given it). */
  readonly rootPem: string;
  /** Orders it holds, over every account. */
  orders(): Promise<number>;
  /** Revokes one certificate: its ARI then says "renew now" (RFC 9773 §4.2). */
  revoke(serial: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Limits of one client: the lab's whole fleet is one upstream account, and the nodes' first
 * orders, started together, may each register an account before one of them is stored.
 */
function upstreamConfig(): Record<string, unknown> {
  const high = { limit: 1_000_000, windowSeconds: 3600 };
  return { rateLimits: { ordersPerAccount: high, certificatesPerName: high, failedValidationsPerAccount: high, accountsPerAddress: high, pendingValidationsPerAccount: 1_000_000 } };
}

function upstreamEnv(state: LabState, dir: string): Record<string, string> {
  const ports = labPorts(state.basePort, state.nodes.length);
  return {
    CERTAINTY_CONFIG: join(dir, 'certainty.json'),
    CERTAINTY_DATA_DIR: join(dir, 'data'),
    CERTAINTY_LISTEN: `127.0.0.1:${ports.upstream}`,
    CERTAINTY_VALIDATION_DNS: `127.0.0.1:${state.dnsPort}`,
    // The names' "port 80" is the lab's front, in front of every node.
    CERTAINTY_HTTP01_PORT: String(ports.front),
    CERTAINTY_TLSALPN01_PORT: String(ports.upstreamTlsAlpn01),
    CERTAINTY_VALIDATION_EGRESS_LOOPBACK: 'allow',
  };
}

/** Starts the upstream in `<lab>/upstream` (emptied first) and waits until it serves ACME. */
export async function startUpstream(state: LabState): Promise<Upstream> {
  const dir = join(state.dir, 'upstream');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const env = upstreamEnv(state, dir);
  await writeFile(env['CERTAINTY_CONFIG'] as string, `${JSON.stringify(upstreamConfig(), null, 2)}\n`);
  const baseUrl = `https://${env['CERTAINTY_LISTEN'] as string}`;
  const record: LabProcessRecord = spawnDetached({
    name: 'upstream', kind: 'certainty', argv: [process.execPath, join(REPO_ROOT, 'bin', 'certainty.js'), 'serve'],
    env, cwd: REPO_ROOT, log: join(state.dir, 'logs', 'upstream.log'),
  });
  // A drill that exits without its cleanup (interrupted: it heals the lab and exits) takes the upstream along.
  const killOnExit = (): void => void signalRecord(record, 'SIGKILL');
  process.once('exit', killOnExit);
  const stop = async (timeoutMs: number): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await stopRecord(record, timeoutMs);
  };
  try {
    await waitFor(async () => ((await httpRequest(`${baseUrl}/readyz`, { insecure: true, timeoutMs: 2_000 })).status === 200 ? true : undefined), {
      what: `the upstream CA at ${baseUrl}`, timeoutMs: 60_000, intervalMs: 200,
      abortIf: () => (isAlive(record) ? undefined : `it exited (see ${record.log}); is port ${env['CERTAINTY_LISTEN'] as string} free?`),
    });
    const rootPem = await certaintyCli(env, ['ca', 'export']);
    const admin = adminCaller(baseUrl, rootPem, await adminToken(env));
    return {
      directoryUrl: `${baseUrl}/directory`,
      rootPem,
      orders: async () => ((await admin('GET', '/admin/accounts?limit=10000')) as Array<{ orders: number }>).reduce((n, a) => n + a.orders, 0),
      revoke: async (serial) => void (await admin('POST', `/admin/certificates/${serial}/revoke`, { reason: 0 })),
      stop: () => stop(15_000),
    };
  } catch (err) {
    await stop(5_000);
    throw err;
  }
}
