// `certainty drill`: runs fault scenarios against a running lab under a steady load of complete
// ACME orders through the front, and measures what clients and the database saw.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import postgres from 'postgres';
import { startHttp01Responder, type Http01Responder } from '../acme-client/responder.ts';
import type { AcmeClient } from '../acme-client/client.ts';
import { startTestDnsServer, type TestDnsServer } from './dns-server.ts';
import { APP_SCENARIOS } from './drill-app-scenarios.ts';
import { DB_SCENARIOS } from './drill-db-scenarios.ts';
import { RENEWAL_SCENARIOS } from './drill-renewal-scenarios.ts';
import type { Scenario } from './drill-context.ts';
import { runScenario, type ScenarioDeps } from './drill-run.ts';
import { LabControl } from './lab-control.ts';
import { httpCall } from './lab-probes.ts';
import { readLab, type LabState } from './lab-state.ts';
import { createAccounts, CountingTransport } from './load.ts';
import { RenewalFleet } from './renewal-fleet.ts';
import type { DrillReport, ScenarioResult } from './report.ts';

/**
 * Every scenario, in the order `all` runs them: the gentlest first, then the database; the renewal
 * drills last, so their fleet (removed when the drill ends) is not on the lab during the others.
 */
export const SCENARIOS: readonly Scenario[] = [...APP_SCENARIOS, ...DB_SCENARIOS, ...RENEWAL_SCENARIOS];

export interface DrillOptions {
  readonly dir: string;
  /** Scenario names; `all` for every one. */
  readonly scenarios: readonly string[];
  /** Shorter steady phases around each fault (CI). */
  readonly quick: boolean;
  /** Orders in flight at once; default 4. */
  readonly concurrency: number;
  readonly log: (line: string) => void;
}

/** The scenarios named, in their canonical order; a clear error for an unknown name. */
export function selectScenarios(names: readonly string[]): Scenario[] {
  if (names.length === 0 || names.includes('all')) return [...SCENARIOS];
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}: choose from ${SCENARIOS.map((s) => s.name).join(', ')} or all`);
  return SCENARIOS.filter((s) => names.includes(s.name));
}

async function nodeIds(state: LabState, rootPem: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const node of state.nodes) {
    const res = await httpCall(`${node.baseUrl}/healthz`, { ca: rootPem, timeoutMs: 3_000 }).catch((err: unknown) => {
      throw new Error(`${node.name} does not answer /healthz (${(err as Error).message}): is the lab up? (certainty lab status)`);
    });
    ids.set(node.name, String((JSON.parse(res.body) as { node?: string }).node));
  }
  return ids;
}

/** A database of its own for the write probe, so the drill never writes into Certainty's tables. */
async function probeDatabaseUrl(state: LabState): Promise<string> {
  const admin = postgres(state.adminDatabaseUrl, { max: 1, connect_timeout: 5, onnotice: () => undefined });
  try {
    const exists = await admin`select 1 from pg_database where datname = 'certainty_drill'`;
    if (exists.length === 0) await admin.unsafe('create database certainty_drill');
  } finally {
    await admin.end({ timeout: 2 });
  }
  const url = new URL(state.adminDatabaseUrl);
  url.pathname = '/certainty_drill';
  return url.toString();
}

interface Fixtures {
  dns: TestDnsServer;
  responder: Http01Responder;
  transport: CountingTransport;
  sql: postgres.Sql;
  clients: AcmeClient[];
}

async function openFixtures(state: LabState, opts: DrillOptions): Promise<Fixtures> {
  // Every name resolves to 127.0.0.1, where the responder answers http-01 on the lab's port.
  const dns = await startTestDnsServer({}, { port: state.dnsPort, fallback: { A: ['127.0.0.1'] } });
  const responder = await startHttp01Responder({ port: state.http01Port }).catch(async (err: unknown) => {
    await dns.close();
    throw new Error(`cannot answer http-01 on 127.0.0.1:${state.http01Port} (${(err as Error).message}): is another drill running?`);
  });
  const transport = new CountingTransport({ directoryUrl: state.directoryUrl, maxSockets: opts.concurrency * 2 });
  const sql = postgres(state.databaseUrl, { max: 2, connect_timeout: 2, idle_timeout: 30, onnotice: () => undefined });
  const clients = await createAccounts(transport, Math.max(2, opts.concurrency));
  return { dns, responder, transport, sql, clients };
}

async function closeFixtures(f: Fixtures): Promise<void> {
  f.transport.close();
  await f.sql.end({ timeout: 2 }).catch(() => undefined);
  await f.responder.close();
  await f.dns.close();
}

/** Runs the chosen scenarios one after another and returns the report (never throws for a failed scenario). */
export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  const scenarios = selectScenarios(opts.scenarios);
  const state = await readLab(opts.dir);
  const control = new LabControl(state);
  const rootPem = await readFile(state.rootPemPath, 'utf8');
  const startedAt = new Date().toISOString();
  const ids = await nodeIds(state, rootPem);
  const probeUrl = await probeDatabaseUrl(state);
  const fixtures = await openFixtures(state, opts);
  const results: ScenarioResult[] = [];
  const run = Date.now().toString(36);
  const fleet = new RenewalFleet({ state, rootPem, tag: run, log: opts.log });
  try {
    for (const scenario of scenarios) {
      opts.log(`${scenario.name}: ${scenario.fault}`);
      const deps: ScenarioDeps = { state, control, rootPem, nodeIds: ids, probeUrl, ...fixtures, fleet, quick: opts.quick, concurrency: opts.concurrency, run, log: opts.log };
      const result = await runScenario(scenario, deps);
      opts.log(`${scenario.name}: ${result.pass ? 'PASS' : 'FAIL'}${result.error === undefined ? '' : ` (${result.error})`}`);
      for (const c of result.criteria.filter((x) => !x.pass)) opts.log(`  ${c.name}: ${c.measured} (target ${c.target})`);
      results.push(result);
    }
  } finally {
    await fleet.close().catch((err: unknown) => opts.log(`could not remove the renewal drills' fleet from the lab: ${(err as Error).message}`));
    await closeFixtures(fixtures);
  }
  return {
    version: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    host: hostname(),
    pass: results.every((r) => r.pass),
    config: { lab: { dir: state.dir, nodes: state.nodes.length, tuning: state.tuning }, load: { concurrency: opts.concurrency, accounts: fixtures.clients.length, quick: opts.quick } },
    scenarios: results,
  };
}
