/** The `managed` section of an apply file: managed certificates, with the keys `POST /admin/managed` takes. */
import { AppError } from '../errors.ts';
import { targetSpecSchema } from '../lifecycle/deploy/types.ts';
import { queueDeploys } from '../lifecycle/deploy-job.ts';
import { insertManagedIn, queueRenewal } from '../lifecycle/managed.ts';
import { parseManagedInput } from '../lifecycle/managed-input.ts';
import { sealTargets, unwrapTargetSecrets, wrapTargetSecrets } from '../lifecycle/target-secrets.ts';
import { tsigAad, type ManagedCertificate, type ManagedSpec, type SolverSpec } from '../lifecycle/types.ts';
import { issueText, pathText } from './apply-document.ts';
import { changedFields, type Applier, type ApplyContext, type Change } from './apply-plan.ts';

interface Wanted {
  name: string;
  issuer: string;
  spec: ManagedSpec;
}

/** Changing these needs a new certificate: it is renewed at once. */
const RENEW_FIELDS = ['issuer', 'names', 'keyType'];

/** `names.0: …` (managed-input.ts) as `managed[2].names[0]: …`. */
function located(at: Array<string | number>, detail: string): string {
  const rest = detail.replace(/^managed certificate: /, '');
  const m = /^([A-Za-z0-9_.]+): ([\s\S]*)$/.exec(rest);
  if (!m?.[1] || m[2] === undefined) return `${pathText(at)}: ${rest}`;
  const path = m[1].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return `${pathText([...at, ...path])}: ${m[2].replace(/^Invalid input: expected [\w ]+, received undefined$/, 'required')}`;
}

/** Each entry checked as `managed add` checks it, targets first so their errors name the exact field. */
function parseOne(raw: unknown, i: number, seal: (secret: Buffer, name: string) => string): Wanted {
  const targets = (raw as { targets?: unknown } | null)?.targets;
  if (Array.isArray(targets)) {
    targets.forEach((t, j) => {
      const r = targetSpecSchema.safeParse(t);
      if (!r.success && r.error.issues[0]) throw new AppError('malformed', issueText(['managed', i, 'targets', j], r.error.issues[0]));
    });
  }
  try {
    return parseManagedInput(raw, seal);
  } catch (err) {
    if (err instanceof AppError) throw new AppError(err.code, located(['managed', i], err.detail));
    throw err;
  }
}

/** Checks every entry; `seal` wraps a dns-01 solver's TSIG secret (the plan passes one that keeps it readable, to compare). */
function parseManaged(entries: readonly unknown[], seal: (secret: Buffer, name: string) => string): Wanted[] {
  const seen = new Set<string>();
  return entries.map((raw, i) => {
    const w = parseOne(raw, i, seal);
    if (seen.has(w.name)) throw new AppError('malformed', `${pathText(['managed', i, 'name'])}: managed certificate ${w.name} is declared twice`);
    seen.add(w.name);
    return w;
  });
}

const clearSeal = (secret: Buffer): string => secret.toString('base64');
/** The real seal, used when the change runs: the TSIG secret wrapped by the KEK. */
const kekSeal = (ctx: ApplyContext) => (secret: Buffer, name: string): string => ctx.kek.wrap(secret, tsigAad(name)).toString('base64');

/** A stored solver with its TSIG secret unsealed, to compare with the file's. */
function clearSolver(ctx: ApplyContext, name: string, solver: SolverSpec): SolverSpec {
  if (solver.type !== 'dns-01') return solver;
  const secret = ctx.kek.unwrap(Buffer.from(solver.rfc2136.keySecretWrapped, 'base64'), tsigAad(name));
  return { ...solver, rfc2136: { ...solver.rfc2136, keySecretWrapped: clearSeal(secret) } };
}

/** What the plan compares, named as in the file; secret values stay in memory, only field names are printed. */
function comparable(issuer: string, spec: ManagedSpec, secrets: unknown): Record<string, unknown> {
  return {
    issuer, names: spec.names, keyType: spec.keyType, reuseKey: spec.reuseKey, revisionLimit: spec.revisionLimit, solver: spec.solver,
    targets: [spec.targets, secrets], renewWhenLeft: spec.policy.renewWhenLeft, validityDays: spec.policy.validityDays,
  };
}

async function fieldsChanged(ctx: ApplyContext, want: Wanted, have: ManagedCertificate): Promise<string[]> {
  const sealed = sealTargets(want.spec.targets);
  const haveSecrets = unwrapTargetSecrets(ctx.kek, have.name, await ctx.lifecycle.targetSecrets(have.name));
  const haveSpec = { ...have.spec, solver: clearSolver(ctx, have.name, have.spec.solver) };
  return changedFields(comparable(want.issuer, { ...want.spec, targets: sealed.targets }, sealed.secrets), comparable(have.issuer, haveSpec, haveSecrets));
}

function update(raw: unknown, i: number, have: ManagedCertificate, fields: string[]): Change['run'] {
  return async (ctx) => {
    const want = parseOne(raw, i, kekSeal(ctx));
    const { targets, secrets } = sealTargets(want.spec.targets);
    const renew = fields.some((f) => RENEW_FIELDS.includes(f));
    const s = ctx.lifecycle;
    if (!(await s.issuer(want.issuer))) throw new AppError('notFound', `${pathText(['managed', i, 'issuer'])}: no issuer ${want.issuer}`);
    if (!(await s.updateManagedSpec(want.name, have.version, want.issuer, { ...want.spec, targets }, renew ? ctx.now() : undefined))) {
      throw new AppError('conflict', `managed certificate ${want.name} changed meanwhile (a renewal finished); run certainty apply again`);
    }
    await s.putTargetSecrets(want.name, wrapTargetSecrets(ctx.kek, want.name, secrets));
    if (renew) await queueRenewal(s, have);
    // Changed targets get the current certificate now rather than at the next renewal (targets are idempotent).
    const redeploy = fields.includes('targets') && have.currentRevision > 0;
    if (redeploy) await queueDeploys(s, { ...have, spec: { ...want.spec, targets } }, have.currentRevision, `:v${have.version + 1}`);
    await s.audit({
      actor: ctx.actor, action: 'lifecycle.managed-updated', object: `managed:${want.name}`, outcome: 'success', details: { changed: fields, renewal: renew, redeploy, via: 'apply' },
    });
  };
}

function remove(name: string): Change['run'] {
  return async (ctx) => {
    if (!(await ctx.lifecycle.deleteManaged(name))) throw new AppError('conflict', `managed certificate ${name} was removed meanwhile; run certainty apply again`);
    await ctx.lifecycle.audit({ actor: ctx.actor, action: 'lifecycle.managed-removed', object: `managed:${name}`, outcome: 'success', details: { via: 'apply' } });
  };
}

async function checkIssuers(ctx: ApplyContext, wanted: Wanted[], declared: readonly unknown[]): Promise<void> {
  const inFile = new Set(declared.map((d) => (d as { name?: unknown } | null)?.name));
  const stored = new Set((await ctx.lifecycle.issuers()).map((i) => i.name));
  wanted.forEach((w, i) => {
    if (!inFile.has(w.issuer) && !stored.has(w.issuer)) {
      throw new AppError('malformed', `${pathText(['managed', i, 'issuer'])}: no issuer ${w.issuer}, in the file or stored; declare it under issuers`);
    }
  });
}

export const managedApplier: Applier = {
  section: 'managed',
  async plan(doc, ctx) {
    const entries = doc.managed ?? [];
    const wanted = parseManaged(entries, clearSeal);
    await checkIssuers(ctx, wanted, doc.issuers ?? []);
    const changes: Change[] = [];
    for (const [i, want] of wanted.entries()) {
      const have = await ctx.lifecycle.managed(want.name);
      if (have === undefined) {
        const raw = entries[i];
        changes.push({
          op: 'create', noun: 'managed', name: want.name, fields: [],
          run: (tx) => insertManagedIn(tx.lifecycle, tx, parseOne(raw, i, kekSeal(tx)), { via: 'apply' }),
        });
        continue;
      }
      const fields = await fieldsChanged(ctx, want, have);
      if (fields.length > 0) changes.push({ op: 'update', noun: 'managed', name: want.name, fields, run: update(entries[i], i, have, fields) });
    }
    const names = new Set(wanted.map((w) => w.name));
    for (const have of await ctx.lifecycle.managedList()) {
      if (!names.has(have.name)) changes.push({ op: 'remove', noun: 'managed', name: have.name, fields: [], run: remove(have.name) });
    }
    return changes;
  },
};
