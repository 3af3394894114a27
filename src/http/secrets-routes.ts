import { AppError } from '../errors.ts';
import { deleteVersions, removeSecret, undeleteVersions } from '../secrets/delete.ts';
import type { SecretDeps } from '../secrets/deps.ts';
import { destroyVersions } from '../secrets/destroy.ts';
import { generateSecret, parseGenerator } from '../secrets/generate.ts';
import { listSecrets } from '../secrets/list.ts';
import { readMetadata, updateMetadata } from '../secrets/metadata.ts';
import { patchSecret } from '../secrets/patch.ts';
import { attachPolicy, deletePolicy, listPolicies, putPolicy, showPolicy } from '../secrets/policies.ts';
import { readSecret } from '../secrets/read.ts';
import { rotateSecret } from '../secrets/rotate.ts';
import { envFile } from '../secrets/env.ts';
import type { SecretCaller, SecretVersion } from '../secrets/types.ts';
import { writeSecret } from '../secrets/write.ts';
import { callerAllows } from '../admin/roles.ts';
import { needs, ok, type AdminRequest, type AdminResponse, type AdminRoute } from './admin-routes.ts';
import * as S from './secrets-schemas.ts';
import { z } from 'zod';

const malformed = (detail: string): AppError => new AppError('malformed', detail);

/** The caller as the secrets domain sees it: admins may do everything, machine tokens what their policies grant. */
const callerOf = (req: AdminRequest): SecretCaller => ({ actor: `token:${req.caller.tokenId}`, tokenId: req.caller.tokenId, admin: callerAllows(req.caller, 'secrets.admin') });

/** The secret path captured from the URL, percent-decoded (checked by the use case). */
function pathOf(req: AdminRequest): string {
  try {
    return decodeURIComponent(req.params[0] ?? '');
  } catch {
    throw malformed('The secret path in the URL is not valid percent-encoding');
  }
}

function optionalWhole(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw malformed(`"${name}" must be a whole number`);
  return n;
}

function queryWhole(req: AdminRequest, name: string): number | undefined {
  return optionalWhole(req.url.searchParams.get(name) ?? undefined, name);
}

const text = (body: string): AdminResponse => ({ status: 200, headers: { 'cache-control': 'no-store' }, raw: { contentType: 'text/plain; charset=utf-8', body } });

/** `?format=json` (default), `env` (NAME='value' lines; `prefix`, `field`) or `raw` (one field's value, exactly). */
function formatted(req: AdminRequest, v: SecretVersion): AdminResponse {
  const q = req.url.searchParams;
  const field = q.get('field') ?? undefined;
  const picked = (): string => {
    const name = field ?? (Object.keys(v.data).length === 1 ? Object.keys(v.data)[0] : undefined);
    const value = name === undefined ? undefined : v.data[name];
    if (value === undefined) throw malformed(`Say which field to return with ?field= (${v.path} has ${Object.keys(v.data).join(', ')})`);
    return value;
  };
  switch (q.get('format') ?? 'json') {
    case 'json': return { ...ok(v), headers: { 'cache-control': 'no-store' } };
    case 'env': return text(envFile(field === undefined ? v.data : { [field]: picked() }, q.get('prefix') ?? ''));
    case 'raw': return text(picked());
    default: throw malformed('"format" must be json, env or raw');
  }
}

const P = '(.+)';
const data = new RegExp(`^/admin/secrets/data/${P}$`);
const meta = new RegExp(`^/admin/secrets/metadata/${P}$`);
const op = (name: string): RegExp => new RegExp(`^/admin/secrets/${name}/${P}$`);
const dataT = '/admin/secrets/data/{path}';
const metaT = '/admin/secrets/metadata/{path}';
const count = (key: string) => z.object({ [key]: z.int() });

/** Key/value endpoints under /admin/secrets (docs/admin-api.md); any token, the secrets policies decide. */
function kvRoutes(d: SecretDeps): AdminRoute[] {
  const route = needs('secrets.use');
  const write = async (req: AdminRequest, patch: boolean) => {
    const body = await req.json();
    const cas = optionalWhole(body.cas, 'cas');
    return ok(patch ? await patchSecret(d, callerOf(req), pathOf(req), body.data, { cas }) : await writeSecret(d, callerOf(req), pathOf(req), body.data, { cas }));
  };
  return [
    route('GET', data, async (req) => {
      const reason = req.url.searchParams.get('reason') ?? undefined;
      return formatted(req, await readSecret(d, callerOf(req), pathOf(req), { version: queryWhole(req, 'version'), reason }));
    }, { summary: 'Reveal a secret version', template: dataT, query: S.secretReadQuery, response: S.secretVersionSchema, text: 'text/plain' }),
    route('PUT', data, (req) => write(req, false), { summary: 'Write a new version', template: dataT, request: S.secretWriteRequest, response: S.appendedSchema }),
    route('POST', data, (req) => write(req, false), { summary: 'Write a new version', template: dataT, request: S.secretWriteRequest, response: S.appendedSchema }),
    route('PATCH', data, (req) => write(req, true), { summary: 'Write a new version from the current one with some fields changed', template: dataT, request: S.secretPatchRequest, response: S.appendedSchema }),
    route('DELETE', data, async (req) => ok({ deleted: await deleteVersions(d, callerOf(req), pathOf(req)) }), { summary: 'Soft-delete the current version', template: dataT, response: count('deleted') }),
    route('POST', op('delete'), async (req) => ok({ deleted: await deleteVersions(d, callerOf(req), pathOf(req), (await req.json()).versions) }), {
      summary: 'Soft-delete versions', template: '/admin/secrets/delete/{path}', request: S.versionsRequest, response: count('deleted'),
    }),
    route('POST', op('undelete'), async (req) => ok({ undeleted: await undeleteVersions(d, callerOf(req), pathOf(req), (await req.json()).versions) }), {
      summary: 'Undelete versions', template: '/admin/secrets/undelete/{path}', request: S.versionsRequest, response: count('undeleted'),
    }),
    route('POST', op('destroy'), async (req) => ok({ destroyed: await destroyVersions(d, callerOf(req), pathOf(req), (await req.json()).versions) }), {
      summary: 'Destroy versions for good', template: '/admin/secrets/destroy/{path}', request: S.versionsRequest, response: count('destroyed'),
    }),
    route('GET', meta, async (req) => ok(await readMetadata(d, callerOf(req), pathOf(req))), { summary: 'Settings and versions of a path, never values', template: metaT, response: S.metadataSchema }),
    route('PUT', meta, async (req) => ok(await updateMetadata(d, callerOf(req), pathOf(req), await req.json())), {
      summary: 'Change the settings of a path', template: metaT, request: S.metadataRequest, response: S.metadataSchema,
    }),
    route('DELETE', meta, async (req) => {
      await removeSecret(d, callerOf(req), pathOf(req));
      return ok({ removed: true });
    }, { summary: 'Remove a path with every version', template: metaT, response: z.object({ removed: z.literal(true) }) }),
    route('GET', /^\/admin\/secrets\/list(?:\/(.*))?$/, async (req) => ok(await listSecrets(d, callerOf(req), pathOf(req), queryWhole(req, 'limit') ?? 1000)), {
      summary: 'Paths under a prefix the token may list, recursively', template: '/admin/secrets/list/{prefix}', query: z.object({ limit: z.string() }), response: S.listingSchema,
    }),
    route('POST', op('generate'), async (req) => {
      const body = await req.json();
      const generator = parseGenerator(body);
      return ok(await generateSecret(d, callerOf(req), pathOf(req), generator, { cas: optionalWhole(body.cas, 'cas'), rotateEveryMs: optionalWhole(body.rotateEveryMs, 'rotateEveryMs') }), 201);
    }, { summary: 'Generate a value (not returned)', template: '/admin/secrets/generate/{path}', request: S.generateRequest, status: 201, response: S.appendedSchema }),
    route('POST', op('rotate'), async (req) => ok(await rotateSecret(d, callerOf(req), pathOf(req))), { summary: 'Rotate a generated secret', template: '/admin/secrets/rotate/{path}', response: S.appendedSchema }),
  ];
}

/** Policies under /admin/secrets/policies: `secrets.admin` only. */
function policyRoutes(d: SecretDeps): AdminRoute[] {
  const admin = needs('secrets.admin');
  const deps = (req: AdminRequest) => ({ policies: d.policies, now: d.now, actor: `token:${req.caller.tokenId}` });
  const name = /^\/admin\/secrets\/policies\/([\w.-]+)$/;
  const policyT = '/admin/secrets/policies/{name}';
  const attach = (on: boolean) => async (req: AdminRequest) => {
    const tokenId = (await req.json()).tokenId;
    if (typeof tokenId !== 'string') throw malformed('"tokenId" must be a token id');
    return ok({ policy: req.params[0], tokenId, changed: await attachPolicy(deps(req), req.params[0] as string, tokenId, on) });
  };
  return [
    admin('GET', /^\/admin\/secrets\/policies$/, async () => ok(await listPolicies(d)), { summary: 'Secrets policies with their rules and tokens', response: z.array(S.policySchema) }),
    admin('GET', name, async (req) => ok(await showPolicy(d, req.params[0] as string)), { summary: 'One secrets policy', template: policyT, response: S.policySchema }),
    admin('PUT', name, async (req) => ok(await putPolicy(deps(req), req.params[0] as string, (await req.json()).rules)), {
      summary: 'Create or replace a secrets policy', template: policyT, request: S.policyRequest, response: S.policySchema,
    }),
    admin('DELETE', name, async (req) => {
      await deletePolicy(deps(req), req.params[0] as string);
      return ok({ deleted: true });
    }, { summary: 'Delete a secrets policy', template: policyT, response: z.object({ deleted: z.literal(true) }) }),
    admin('POST', /^\/admin\/secrets\/policies\/([\w.-]+)\/attach$/, attach(true), { summary: 'Attach a policy to a token', template: `${policyT}/attach`, request: S.attachRequest, response: S.attachSchema }),
    admin('POST', /^\/admin\/secrets\/policies\/([\w.-]+)\/detach$/, attach(false), { summary: 'Detach a policy from a token', template: `${policyT}/detach`, request: S.attachRequest, response: S.attachSchema }),
  ];
}

export function secretsRoutes(d: SecretDeps): AdminRoute[] {
  return [...policyRoutes(d), ...kvRoutes(d)];
}
