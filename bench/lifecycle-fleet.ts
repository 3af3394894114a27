import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { httpRequest } from '../src/http-client.ts';
import type { FleetCert } from '../src/lab/fleet-files.ts';
import { startCertainty, type CertaintyServer } from '../test/support/certainty.ts';
import { startTestDns, type TestDns } from '../test/support/dns.ts';
import { freePort } from '../test/support/free-port.ts';
import { makeTempDir, removeDir } from '../test/support/tmp.ts';
import { BENCH_ENV } from './targets.ts';

/**
 * The fleet the lifecycle bench renews: an upstream Certainty serving ACME (with ARI), a managed
 * Certainty node ordering from it, and a plain-HTTP relay on the upstream's http-01 port that
 * hands each validation request to the managed node (every node answers http-01 from its
 * database). Both servers are `certainty serve` processes, so /proc tells their CPU apart.
 */
export interface Fleet {
  readonly upstream: CertaintyServer;
  readonly node: CertaintyServer;
  readonly dir: string;
  /** Admin API call on the managed node with an admin token. */
  admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

async function writeConfig(dir: string, name: string, config: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(config));
  return path;
}

/** Relays `GET /.well-known/acme-challenge/…` to `target()`'s HTTPS listener. */
async function startRelay(port: number, target: () => CertaintyServer | undefined, ca: () => string): Promise<Server> {
  const relay = createServer((req, res) => {
    const node = target();
    if (node === undefined) return void res.writeHead(503).end();
    httpRequest(`${node.baseUrl}${req.url ?? '/'}`, { ca: ca(), timeoutMs: 10_000 }).then(
      (a) => res.writeHead(a.status, { 'content-type': 'application/octet-stream' }).end(a.body),
      () => res.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
  return relay;
}

/** Starts the upstream, the managed node and the relay; the issuer `up` is added with room for `orders`. */
export async function startFleet(orders: number): Promise<Fleet> {
  const dir = await makeTempDir('bench-lifecycle');
  const dns: TestDns = await startTestDns();
  const relayPort = await freePort();
  let node: CertaintyServer | undefined;
  let nodeCa = '';
  const relay = await startRelay(relayPort, () => node, () => nodeCa);
  // The upstream's own per-account limits are the product's defaults for one client; the fleet is one account.
  const big = { limit: 1_000_000, windowSeconds: 3600 };
  const upConfig = await writeConfig(dir, 'upstream.json', { rateLimits: { ordersPerAccount: big, failedValidationsPerAccount: big, pendingValidationsPerAccount: 1_000_000 } });
  const upstream = await startCertainty({ dnsAddress: dns.dnsAddress, http01Port: relayPort, tlsAlpn01Port: await freePort(), env: { ...BENCH_ENV, CERTAINTY_CONFIG: upConfig } });
  const nodeConfig = await writeConfig(dir, 'node.json', { lifecycle: { checkPeriodMs: 1000, upstreamTimeoutMs: 30_000, orderTimeoutMs: 300_000 } });
  try {
    node = await startCertainty({ dnsAddress: dns.dnsAddress, http01Port: await freePort(), tlsAlpn01Port: await freePort(), env: { CERTAINTY_CONFIG: nodeConfig } });
  } catch (err) {
    await upstream.dispose();
    throw err;
  }
  const managed = node;
  nodeCa = await readFile(managed.rootPemPath, 'utf8');
  const token = (JSON.parse(await managed.cli(['token', 'create', 'bench', '--json'])) as { token: string }).token;
  await managed.cli(['issuer', 'add', 'up', '--directory', upstream.directoryUrl, '--trust', upstream.rootPemPath, '--rate-limit', `${orders}/1h`]);
  return {
    upstream, node: managed, dir,
    async admin(method, path, body) {
      const res = await httpRequest(`${managed.baseUrl}${path}`, {
        method, ca: nodeCa, timeoutMs: 120_000,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
      return JSON.parse(res.body.toString('utf8'));
    },
    async stop() {
      await managed.dispose();
      await upstream.dispose();
      await new Promise((resolve) => relay.close(resolve));
      await dns.stop();
      await removeDir(dir);
    },
  };
}

export function fleetCerts(dir: string, count: number): FleetCert[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `c${i}`, dnsName: `c${i}.fleet.bench.test`, fullchainPath: join(dir, `c${i}.pem`), keyPath: join(dir, `c${i}.key`),
  }));
}
