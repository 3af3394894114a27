import type { Command } from 'commander';
import { probeServices } from '../context.ts';
import { discoverInventory } from '../lifecycle/probe/inventory.ts';
import type { ProbeService } from '../lifecycle/probe/probes.ts';
import type { DiscoveredCertificate, ProbeEndpoint, ProbeStore } from '../lifecycle/probe/store.ts';
import { humanDuration } from '../duration.ts';
import { table } from '../table.ts';
import { withCa } from './admin-commands.ts';
import { print, readText } from './options.ts';

type Json = { json?: boolean };
const iso = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : new Date(ms).toISOString());
const yesNo = (v: boolean | null | undefined): string => (v === null || v === undefined ? '-' : v ? 'yes' : 'no');
const list = (v: string, prev: string[]): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter((s) => s !== '')];

function withProbes<T>(cmd: Command, fn: (s: { store: ProbeStore; probes: ProbeService }) => Promise<T>): Promise<T> {
  return withCa(cmd, (ctx) => fn(probeServices({ db: ctx.db, audit: ctx.audit, now: Date.now })));
}

function probeText(p: ProbeEndpoint): string {
  const l = p.last;
  const rows: Array<[string, string]> = [
    ['name', p.name], ['endpoint', `${p.host}:${p.port}`], ['sni', p.servername ?? '(the host when it is a name)'],
    ['trust', p.trustPem === null ? 'system roots' : 'own bundle'], ['expected', p.expectedManaged ?? '-'],
    ['interval', humanDuration(p.intervalMs)], ['unreachable', `told after ${p.unreachableAfter} failed probe(s) in a row`], ['next probe', iso(p.nextProbeAt)],
    ['last probe', iso(l?.checkedAt)], ['outcome', l?.outcome ?? 'not probed yet'], ['problem', l?.error ?? '-'],
    ['serial', l?.serial ?? '-'], ['sha-256', l?.fingerprint256 ?? '-'], ['valid until', iso(l?.notAfter)],
    ['days left', l?.daysLeft === null || l?.daysLeft === undefined ? '-' : String(l.daysLeft)],
    ['chain valid', yesNo(l?.chainValid)], ['name match', yesNo(l?.nameMatch)], ['drift', yesNo(l?.drift)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(12)} ${v}`).join('\n');
}

const foundTable = (rows: readonly DiscoveredCertificate[]): string => table(
  ['ENDPOINT', 'SUBJECT', 'NAMES', 'ISSUER', 'NOT AFTER', 'ISSUED HERE', 'SHA-256', 'FIRST SEEN', 'LAST SEEN'],
  rows.map((c) => [c.endpoint, c.subject, c.names.join(','), c.issuer, iso(c.notAfter), c.issuedHere ? 'yes' : 'no', c.fingerprint256.slice(0, 16), iso(c.firstSeen), iso(c.lastSeen)]),
);

interface AddOptions extends Json { host: string; port: string; sni?: string; trust?: string; expect?: string; interval: string; unreachableAfter: string }

function registerProbe(program: Command): void {
  const probe = program.command('probe').description('TLS endpoints probed on a schedule: days left, chain, name and drift');
  probe.command('add <name>').description('probe an endpoint (first at the next pass of the probes duty)')
    .requiredOption('--host <host>', 'host name or IP address to connect to').option('--port <port>', 'TCP port', '443')
    .option('--sni <name>', 'SNI name to send (default: the host when it is a name)').option('--trust <file>', 'PEM bundle the chain must lead to (default: system roots)')
    .option('--expect <managed>', 'managed certificate whose current revision should be served (drift otherwise)')
    .option('--interval <duration>', 'how often, e.g. 15m, 1h, 1d', '1h')
    .option('--unreachable-after <n>', 'failed probes in a row before the endpoint is told unreachable', '2').option('--json', 'print JSON')
    .action((name: string, o: AddOptions, cmd: Command) => withProbes(cmd, async (s) => {
      const p = await s.probes.add({
        name, host: o.host, port: Number(o.port), interval: o.interval, unreachableAfter: Number(o.unreachableAfter), ...(o.sni === undefined ? {} : { servername: o.sni }),
        ...(o.trust === undefined ? {} : { trustPem: readText(o.trust, 'trust bundle') }), ...(o.expect === undefined ? {} : { expectedManaged: o.expect }),
      });
      print(o.json === true, p, () => `Added probe ${p.name} of ${p.host}:${p.port}, every ${humanDuration(p.intervalMs)}`);
    }));
  probe.command('list').description('list probes and their last outcome').option('--json', 'print JSON')
    .action((o: Json, cmd: Command) => withProbes(cmd, async (s) => {
      const rows = await s.probes.list();
      print(o.json === true, rows, () => table(['NAME', 'ENDPOINT', 'LAST PROBE', 'OUTCOME', 'DAYS LEFT', 'DRIFT', 'PROBLEM'], rows.map((p) => [
        p.name, `${p.host}:${p.port}`, iso(p.last?.checkedAt), p.last?.outcome ?? '-', p.last?.daysLeft === null || p.last?.daysLeft === undefined ? '-' : String(p.last.daysLeft),
        yesNo(p.last?.drift), p.last?.error ?? '-',
      ])));
    }));
  probe.command('show <name>').description('show one probe and its last result').option('--json', 'print JSON')
    .action((name: string, o: Json, cmd: Command) => withProbes(cmd, async (s) => {
      const p = await s.probes.show(name);
      print(o.json === true, p, () => probeText(p));
    }));
  probe.command('run <name>').description('probe now; the result is stored and notifications follow').option('--json', 'print JSON')
    .action((name: string, o: Json, cmd: Command) => withProbes(cmd, async (s) => {
      const p = await s.probes.run(name);
      print(o.json === true, p, () => probeText(p));
    }));
  probe.command('remove <name>').description('stop probing an endpoint')
    .action((name: string, _o: unknown, cmd: Command) => withProbes(cmd, async (s) => {
      await s.probes.remove(name);
      process.stdout.write(`Removed probe ${name}\n`);
    }));
}

interface DiscoverOptions extends Json { targets: string[]; range: string[]; save?: boolean; trust?: string }

function registerDiscover(program: Command): void {
  const discover = program.command('discover').description('scan endpoints and address ranges for TLS certificates, whoever issued them')
    .option('--targets <host:port,...>', 'endpoints to scan (repeatable)', list, []).option('--range <cidr:port,...>', 'address ranges to scan, e.g. 10.0.0.0/24:443 (at most 1024 endpoints in all)', list, [])
    .option('--save', 'keep what was found in the inventory ("certainty discover list")').option('--trust <file>', 'PEM bundle to check chains against').option('--json', 'print JSON')
    .action((o: DiscoverOptions, cmd: Command) => withProbes(cmd, async (s) => {
      const targets = [...o.targets, ...o.range];
      if (targets.length === 0) throw new Error('give what to scan: --targets host:port,... and/or --range 10.0.0.0/28:443');
      const found = await discoverInventory({ store: s.store, now: Date.now }, { targets, save: o.save === true, trust: o.trust === undefined ? undefined : readText(o.trust, 'trust bundle') });
      print(o.json === true, found, () => (found.length === 0 ? 'No endpoint served a certificate' : foundTable(found)));
    }));
  discover.command('list').description('the inventory of certificates found by "discover --save"').option('--json', 'print JSON')
    .action((o: Json, cmd: Command) => withProbes(cmd, async (s) => {
      const rows = await s.store.discovered();
      // "discover" has a --json of its own, which commander gives to it wherever it is written.
      print(o.json === true || cmd.parent?.opts<Json>().json === true, rows, () => foundTable(rows));
    }));
}

export function registerProbeCommands(program: Command): void {
  registerProbe(program);
  registerDiscover(program);
}
