// How the lab looks at its parts: HTTP(S) requests with a deadline, HAProxy's runtime API over
// its stats socket, Patroni's REST API, and a wait loop that says what it was waiting for.
import { createConnection } from 'node:net';
import { httpRequest } from '../http-client.ts';
import { sleep } from './processes.ts';

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface HttpOptions {
  method?: string;
  body?: string;
  timeoutMs?: number;
  /** HTTPS: trust this PEM; without it the certificate is not verified (readiness probes only). */
  ca?: string;
}

/**
 * One request with the lab's defaults: a JSON body, a 3 s deadline, and https without a `ca`
 * unverified (readiness probes). Rejects on connection errors and on the deadline.
 */
export async function httpCall(url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const res = await httpRequest(url, {
    method: options.method ?? 'GET',
    timeoutMs: options.timeoutMs ?? 3_000,
    ...(options.body === undefined ? {} : { body: options.body, headers: { 'content-type': 'application/json' } }),
    ...(options.ca === undefined ? { insecure: true } : { ca: options.ca }),
  });
  return { status: res.status, body: res.body.toString('utf8') };
}

/** Status of a GET, 0 when nothing answers. */
export async function httpStatus(url: string, timeoutMs = 2_000): Promise<number> {
  try {
    return (await httpCall(url, { timeoutMs })).status;
  } catch {
    return 0;
  }
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** A reason to stop waiting at once (the process died), or undefined to go on. */
  abortIf?: () => string | undefined;
  /** Appended to the timeout error (e.g. the last state seen). */
  detail?: () => string;
}

/** Polls `check` until it returns a value other than undefined. */
export async function waitFor<T>(check: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    const abort = options.abortIf?.();
    if (abort !== undefined) throw new Error(`${options.what}: ${abort}`);
    if (Date.now() >= deadline) {
      const detail = options.detail?.() ?? lastError;
      throw new Error(`timed out after ${(options.timeoutMs / 1000).toFixed(0)} s waiting for ${options.what}${detail === '' ? '' : ` (${detail})`}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}

/** One command on HAProxy's stats socket (the runtime API); resolves to its whole answer. */
export function haproxySocket(path: string, line: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection(path);
    const timer = setTimeout(() => socket.destroy(new Error(`haproxy stats socket ${path}: no answer to "${line}" in ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.end(`${line}\n`));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** `show stat` CSV (`# pxname,svname,...`) → one record per server row, keyed by the header (no FRONTEND/BACKEND rows). */
export function serverStatRows(csv: string): Array<Record<string, string>> {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  return lines
    .slice(1)
    .map((line) => Object.fromEntries(line.split(',').map((cell, i) => [header[i] ?? String(i), cell])))
    .filter((row) => row['pxname'] !== undefined && row['svname'] !== undefined && row['svname'] !== 'BACKEND' && row['svname'] !== 'FRONTEND');
}

/** `show stat` CSV → "proxy/server" → status (UP, DOWN, MAINT, NOLB, `UP 1/2`...), servers only. */
export function serverStates(csv: string): Record<string, string> {
  return Object.fromEntries(serverStatRows(csv).map((row) => [`${row['pxname']}/${row['svname']}`, row['status'] ?? '']));
}

/** A member as Patroni's `GET /cluster` lists it. */
export interface PatroniMemberState {
  name: string;
  role: string;
  state: string;
  timeline?: number;
  lag?: number | string;
}

/** `GET /cluster` from the first member whose REST API answers. */
export async function patroniCluster(restUrls: readonly string[]): Promise<PatroniMemberState[]> {
  const errors: string[] = [];
  for (const url of restUrls) {
    try {
      const res = await httpCall(`${url}/cluster`, { timeoutMs: 2_000 });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      const members = (JSON.parse(res.body) as { members?: Array<Record<string, unknown>> }).members ?? [];
      return members.map((m) => ({
        name: String(m['name']),
        role: String(m['role']),
        state: String(m['state']),
        ...(typeof m['timeline'] === 'number' ? { timeline: m['timeline'] } : {}),
        ...(typeof m['lag'] === 'number' || typeof m['lag'] === 'string' ? { lag: m['lag'] } : {}),
      }));
    } catch (err) {
      errors.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`no Patroni REST API answers (${errors.join('; ')})`);
}

/** Patroni 3.0 calls the primary `leader` (older releases `master`). */
export function isLeader(member: PatroniMemberState): boolean {
  return member.role === 'leader' || member.role === 'master' || member.role === 'standby_leader';
}

/** The cluster is writable and safe: a running leader and a sync standby that is running or streaming. */
export function patroniHealthy(members: readonly PatroniMemberState[]): boolean {
  const leader = members.find((m) => isLeader(m) && m.state === 'running');
  const sync = members.find((m) => m.role === 'sync_standby' && (m.state === 'running' || m.state === 'streaming'));
  return leader !== undefined && sync !== undefined;
}
