/**
 * The `probes` section of an apply file: TLS probes, with the keys `POST /admin/probes` takes,
 * except that the trust bundle is `trust` (or `trustFile`), as an issuer's is.
 */
import { AppError } from '../errors.ts';
import { parseProbe } from '../lifecycle/probe/probes.ts';
import type { ProbeEndpoint } from '../lifecycle/probe/store.ts';
import { pathText } from './apply-document.ts';
import { changedFields, type Applier, type Change } from './apply-plan.ts';

/** The API's field names that the file spells otherwise. */
const FILE_NAME: Readonly<Record<string, string>> = { trustPem: 'trust' };

/** `probe: FIELD: …` (probes.ts) as `probes[2].FIELD: …`. */
function located(i: number, detail: string): string {
  const m = /^probe: ([A-Za-z]+): ([\s\S]*)$/.exec(detail);
  if (!m?.[1] || m[2] === undefined) return `${pathText(['probes', i])}: ${detail}`;
  const field = m[1] === 'input' ? [] : [FILE_NAME[m[1]] ?? m[1]];
  return `${pathText(['probes', i, ...field])}: ${m[2].replace(/^Invalid input: expected [\w ]+, received undefined$/, 'required')}`;
}

/** One entry checked as `probe add` checks it, due at `now`. */
function parseOne(raw: unknown, i: number, now: number): ProbeEndpoint {
  let input = raw;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const { trust, ...rest } = raw as Record<string, unknown>;
    if ('trustPem' in rest) throw new AppError('malformed', `${pathText(['probes', i, 'trustPem'])}: give the bundle as trust (PEM) or trustFile (a path)`);
    input = trust === undefined ? rest : { ...rest, trustPem: trust };
  }
  try {
    return parseProbe(input, now);
  } catch (err) {
    if (err instanceof AppError) throw new AppError(err.code, located(i, err.detail));
    throw err;
  }
}

function parseProbes(entries: readonly unknown[], now: number): ProbeEndpoint[] {
  const seen = new Set<string>();
  return entries.map((raw, i) => {
    const p = parseOne(raw, i, now);
    if (seen.has(p.name)) throw new AppError('malformed', `${pathText(['probes', i, 'name'])}: probe ${p.name} is declared twice`);
    seen.add(p.name);
    return p;
  });
}

/** What the plan compares, named as in the file. */
const comparable = (p: ProbeEndpoint): Record<string, unknown> => ({
  host: p.host, port: p.port, servername: p.servername, trust: p.trustPem, expectedManaged: p.expectedManaged, interval: p.intervalMs, unreachableAfter: p.unreachableAfter,
});

function create(p: ProbeEndpoint): Change['run'] {
  return async (ctx) => {
    if (!(await ctx.probes.insertProbe(p))) throw new AppError('conflict', `probe ${p.name} was added meanwhile; run certainty apply again`);
    await ctx.probes.audit({
      actor: ctx.actor, action: 'lifecycle.probe-added', object: `probe:${p.name}`, outcome: 'success',
      details: { endpoint: `${p.host}:${p.port}`, servername: p.servername, expectedManaged: p.expectedManaged, via: 'apply' },
    });
  };
}

/** New settings are probed at the next pass of the probes duty; the last result stays until then. */
function update(p: ProbeEndpoint, version: number, fields: string[]): Change['run'] {
  return async (ctx) => {
    if (!(await ctx.probes.updateProbe({ ...p, nextProbeAt: ctx.now() }, version))) throw new AppError('conflict', `probe ${p.name} changed meanwhile; run certainty apply again`);
    await ctx.probes.audit({ actor: ctx.actor, action: 'lifecycle.probe-updated', object: `probe:${p.name}`, outcome: 'success', details: { changed: fields, via: 'apply' } });
  };
}

function remove(name: string): Change['run'] {
  return async (ctx) => {
    if (!(await ctx.probes.deleteProbe(name))) throw new AppError('conflict', `probe ${name} was removed meanwhile; run certainty apply again`);
    await ctx.probes.audit({ actor: ctx.actor, action: 'lifecycle.probe-removed', object: `probe:${name}`, outcome: 'success', details: { via: 'apply' } });
  };
}

export const probeApplier: Applier = {
  section: 'probes',
  async plan(doc, ctx) {
    const wanted = parseProbes(doc.probes ?? [], ctx.now());
    const changes: Change[] = [];
    for (const want of wanted) {
      const have = await ctx.probes.probe(want.name);
      if (have === undefined) {
        changes.push({ op: 'create', noun: 'probe', name: want.name, fields: [], run: create(want) });
        continue;
      }
      const fields = changedFields(comparable(want), comparable(have));
      if (fields.length > 0) changes.push({ op: 'update', noun: 'probe', name: want.name, fields, run: update(want, have.version, fields) });
    }
    const names = new Set(wanted.map((w) => w.name));
    for (const have of await ctx.probes.probes()) {
      if (!names.has(have.name)) changes.push({ op: 'remove', noun: 'probe', name: have.name, fields: [], run: remove(have.name) });
    }
    return changes;
  },
};
