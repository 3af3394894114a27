import { join } from 'node:path';
import { httpRequest, type HttpResponse } from '../../src/http-client.ts';
import { checkAdminResponse } from './admin-api.ts';
import { REPO_ROOT } from './certainty.ts';
import { freshDatabaseUrl, startNode, type Dialect, type TestNode } from './node.ts';
import { run, runUnchecked, type RunResult } from './run.ts';

/** A node for the SSH tests, with an admin token and helpers for its admin API and the CLI. */
export interface SshNode {
  node: TestNode;
  adminToken: string;
  /** `certainty <args>` against the node's data directory and database. */
  cli(...args: string[]): Promise<RunResult>;
  /** The same with more environment (e.g. another KEK file). */
  cliWith(env: Record<string, string>, ...args: string[]): Promise<RunResult>;
  /** A JSON request to the node; `token` undefined sends none. Admin answers are checked against docs/openapi.json. */
  api(method: string, path: string, token: string | undefined, body?: unknown): Promise<HttpResponse & { json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** A new token of `role`: its id and bearer value. */
  token(name: string, role: 'admin' | 'machine'): Promise<{ id: string; token: string }>;
  stop(): Promise<void>;
}

export async function startSshNode(dialect: Dialect): Promise<SshNode> {
  const databaseUrl = await freshDatabaseUrl(dialect);
  const node = await startNode({ databaseUrl });
  const env = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
  const cliWith = (extra: Record<string, string>, ...args: string[]): Promise<RunResult> =>
    runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), ...args], { env: { ...env, ...extra }, timeoutMs: 30_000 });
  const cli = (...args: string[]): Promise<RunResult> => cliWith({}, ...args);
  const token = async (name: string, role: 'admin' | 'machine'): Promise<{ id: string; token: string }> => {
    const r = await run(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'token', 'create', name, '--role', role, '--json'], { env, timeoutMs: 30_000 });
    return JSON.parse(r.stdout) as { id: string; token: string };
  };
  const api: SshNode['api'] = async (method, path, bearer, body) => {
    const res = await httpRequest(node.baseUrl + path, {
      method, ca: node.rootPem, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: { ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    });
    const text = res.body.toString('utf8');
    checkAdminResponse(method, node.baseUrl + path, { status: res.status, headers: res.headers, text });
    const isJson = String(res.headers['content-type'] ?? '').includes('json');
    return { ...res, json: isJson && text !== '' ? JSON.parse(text) : undefined };
  };
  const adminToken = (await token('ssh-test-admin', 'admin')).token;
  return { node, adminToken, cli, cliWith, api, token, stop: () => node.stop() };
}
