/** The `issuers` section of an apply file: upstream ACME CAs and this CA, as `issuer add` takes them. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { newIssuer, type IssuerInput } from '../lifecycle/issuers.ts';
import { eabAad, type AcmeIssuerConfig, type NewIssuer } from '../lifecycle/types.ts';
import { issueText, pathText } from './apply-document.ts';
import { changedFields, type Applier, type ApplyContext, type Change } from './apply-plan.ts';

/** One entry; `hmacFile`/`hmacEnv` and `trustFile` have become `hmac` and `trust` already (apply-document.ts). */
const issuerEntry = z.strictObject({
  name: z.string(),
  kind: z.enum(['acme', 'local']).default('acme'),
  directoryUrl: z.string().optional(),
  contact: z.array(z.string()).optional(),
  eab: z.strictObject({ kid: z.string().min(1), hmac: z.string().min(1) }).optional(),
  trust: z.string().optional(),
  preferredChain: z.string().optional(),
  profile: z.string().optional(),
  rateLimit: z.strictObject({ orders: z.number().int().positive(), per: z.string() }).optional(),
});

function inputOf(e: z.infer<typeof issuerEntry>): IssuerInput {
  return {
    name: e.name, kind: e.kind,
    ...(e.directoryUrl === undefined ? {} : { directoryUrl: e.directoryUrl }), ...(e.contact === undefined ? {} : { contact: e.contact }),
    ...(e.eab === undefined ? {} : { eabKid: e.eab.kid, eabHmacKey: e.eab.hmac }), ...(e.trust === undefined ? {} : { trustPem: e.trust }),
    ...(e.preferredChain === undefined ? {} : { preferredChain: e.preferredChain }), ...(e.profile === undefined ? {} : { profile: e.profile }),
    ...(e.rateLimit === undefined ? {} : { rateLimit: e.rateLimit }),
  };
}

/** Each entry checked as `issuer add` checks it; an error names the entry's path. */
function parseIssuers(entries: readonly unknown[], ctx: Pick<ApplyContext, 'kek' | 'now'>): NewIssuer[] {
  const seen = new Set<string>();
  return entries.map((raw, i) => {
    const parsed = issuerEntry.safeParse(raw);
    if (!parsed.success) throw new AppError('malformed', issueText(['issuers', i], parsed.error.issues[0] as z.core.$ZodIssue));
    if (seen.has(parsed.data.name)) throw new AppError('malformed', `${pathText(['issuers', i, 'name'])}: issuer ${parsed.data.name} is declared twice`);
    seen.add(parsed.data.name);
    try {
      return newIssuer(inputOf(parsed.data), ctx);
    } catch (err) {
      if (err instanceof AppError) throw new AppError(err.code, `${pathText(['issuers', i])}: ${err.detail}`);
      throw err;
    }
  });
}

const digest = (b: Buffer | undefined): string | undefined => (b === undefined ? undefined : createHash('sha256').update(b).digest('hex'));

/** What the plan compares, named as in the file; the EAB HMAC key only as a digest. */
function comparable(kind: string, acme: AcmeIssuerConfig | undefined, hmac: Buffer | undefined): Record<string, unknown> {
  return {
    kind, directoryUrl: acme?.directoryUrl, contact: acme?.contact, eab: acme?.eabKid === undefined ? undefined : [acme.eabKid, digest(hmac)],
    trust: acme?.trustPem, preferredChain: acme?.preferredChain, profile: acme?.profile, rateLimit: acme?.rateLimit,
  };
}

/** Changing these points the account at another CA or binding: the stored account is forgotten, and created again on first use. */
const ACCOUNT_FIELDS = ['kind', 'directoryUrl', 'eab'];

function create(issuer: NewIssuer): Change['run'] {
  return async (ctx) => {
    const s = ctx.lifecycle;
    if (!(await s.insertIssuer(issuer))) throw new AppError('conflict', `issuer ${issuer.name} was added meanwhile; run certainty apply again`);
    await s.audit({
      actor: ctx.actor, action: 'lifecycle.issuer-added', object: `issuer:${issuer.name}`, outcome: 'success',
      details: { kind: issuer.kind, via: 'apply', ...(issuer.acme ? { directory: issuer.acme.directoryUrl, eabKid: issuer.acme.eabKid ?? null } : {}) },
    });
  };
}

function update(issuer: NewIssuer, version: number, fields: string[]): Change['run'] {
  return async (ctx) => {
    const dropAccount = fields.some((f) => ACCOUNT_FIELDS.includes(f));
    if (!(await ctx.lifecycle.updateIssuer(issuer, version, dropAccount))) throw new AppError('conflict', `issuer ${issuer.name} changed meanwhile; run certainty apply again`);
    await ctx.lifecycle.audit({
      actor: ctx.actor, action: 'lifecycle.issuer-updated', object: `issuer:${issuer.name}`, outcome: 'success', details: { changed: fields, via: 'apply', accountReset: dropAccount },
    });
  };
}

function remove(name: string): Change['run'] {
  return async (ctx) => {
    const using = await ctx.lifecycle.managedUsingIssuer(name);
    if (using > 0) throw new AppError('conflict', `issuer ${name} is not in the file but still issues ${using} managed certificate(s); remove them from the database too, or keep the issuer in the file`);
    if (!(await ctx.lifecycle.deleteIssuer(name))) throw new AppError('conflict', `issuer ${name} was removed meanwhile; run certainty apply again`);
    await ctx.lifecycle.audit({ actor: ctx.actor, action: 'lifecycle.issuer-removed', object: `issuer:${name}`, outcome: 'success', details: { via: 'apply' } });
  };
}

async function planOne(ctx: ApplyContext, want: NewIssuer): Promise<Change | undefined> {
  const have = await ctx.lifecycle.issuer(want.name);
  if (have === undefined) return { op: 'create', noun: 'issuer', name: want.name, fields: [], run: create(want) };
  const wrapped = await ctx.lifecycle.eabHmacWrapped(want.name);
  const haveHmac = wrapped === undefined ? undefined : ctx.kek.unwrap(wrapped, eabAad(want.name));
  const wantHmac = want.eabHmacWrapped === undefined ? undefined : ctx.kek.unwrap(want.eabHmacWrapped, eabAad(want.name));
  const fields = changedFields(comparable(want.kind, want.acme, wantHmac), comparable(have.kind, have.acme, haveHmac));
  if (fields.length === 0) return undefined;
  const version = await ctx.lifecycle.issuerVersion(want.name);
  return { op: 'update', noun: 'issuer', name: want.name, fields, run: update(want, version ?? 0, fields) };
}

export const issuerApplier: Applier = {
  section: 'issuers',
  async plan(doc, ctx) {
    const wanted = parseIssuers(doc.issuers ?? [], ctx);
    const changes: Change[] = [];
    for (const want of wanted) {
      const change = await planOne(ctx, want);
      if (change) changes.push(change);
    }
    const names = new Set(wanted.map((w) => w.name));
    for (const have of await ctx.lifecycle.issuers()) {
      if (!names.has(have.name)) changes.push({ op: 'remove', noun: 'issuer', name: have.name, fields: [], run: remove(have.name) });
    }
    return changes;
  },
};
