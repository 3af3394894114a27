import type { AcmeResponse } from '../acme/context.ts';
import { resolveSources } from '../admin/apply-document.ts';
import type { ApplyOptions, ApplyResult } from '../admin/apply.ts';
import { AppError } from '../errors.ts';
import type { IssuerInput, IssuerService } from '../lifecycle/issuers.ts';
import type { ManagedService } from '../lifecycle/managed.ts';
import { http01Answer, HTTP01_PATH } from '../lifecycle/solvers.ts';
import type { LifecycleStore } from '../lifecycle/store.ts';
import { needs, ok, type AdminRoute } from './admin-routes.ts';
import type { PublicRoute } from './side-routes.ts';
import * as S from './lifecycle-schemas.ts';
import { inputSchema } from '../lifecycle/managed-input.ts';
import { z } from 'zod';

const NAME = '([a-z0-9][a-z0-9._-]{0,62})';
const managedT = '/admin/managed/{name}';

function issuerInputOf(body: Record<string, unknown>): IssuerInput {
  const str = (k: string): string | undefined => {
    const v = body[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new AppError('malformed', `"${k}" must be a string`);
    return v;
  };
  const contact = body.contact;
  if (contact !== undefined && (!Array.isArray(contact) || !contact.every((c) => typeof c === 'string'))) throw new AppError('malformed', '"contact" must be a list of mailto: URLs');
  const input: Record<string, unknown> = { name: str('name') ?? '', kind: str('kind') ?? 'acme', ...(contact === undefined ? {} : { contact }) };
  for (const k of ['directoryUrl', 'eabKid', 'eabHmacKey', 'trustPem', 'preferredChain', 'profile']) {
    const v = str(k);
    if (v !== undefined) input[k] = v;
  }
  const limit = body.rateLimit as { orders?: unknown; per?: unknown } | undefined;
  if (limit !== undefined) {
    if (typeof limit !== 'object' || limit === null || typeof limit.orders !== 'number' || typeof limit.per !== 'string') throw new AppError('malformed', '"rateLimit" must be {"orders": 300, "per": "3h"}');
    input.rateLimit = { orders: limit.orders, per: limit.per };
  }
  return input as unknown as IssuerInput;
}

/** `certainty apply` as the API runs it (src/admin/apply.ts), recorded as `actor`. */
type LifecycleApply = (doc: unknown, opts: ApplyOptions, actor: string) => Promise<ApplyResult>;

/** The lifecycle admin API (docs/admin-api.md): issuers and managed certificates, and applying a document of them (and of probes). */
export function lifecycleRoutes(d: { issuers: IssuerService; managed: ManagedService; apply: LifecycleApply }): AdminRoute[] {
  const read = needs('lifecycle.read');
  const manage = needs('lifecycle.manage');
  const configure = needs('lifecycle.configure');
  return [
    read('GET', /^\/admin\/issuers$/, async () => ok(await d.issuers.list()), { summary: 'Issuers, never their EAB HMAC keys', response: z.array(S.issuerSchema) }),
    configure('POST', /^\/admin\/issuers$/, async ({ json }) => ok(await d.issuers.add(issuerInputOf(await json())), 201), { summary: 'Add an issuer', request: S.issuerRequest, status: 201, response: S.issuerSchema }),
    read('GET', new RegExp(`^/admin/issuers/${NAME}$`), async ({ params }) => ok(await d.issuers.show(params[0] as string)), { summary: 'One issuer', template: '/admin/issuers/{name}', response: S.issuerSchema }),
    manage('POST', new RegExp(`^/admin/issuers/${NAME}/rollover$`), async ({ params }) => ok(await d.issuers.rollover(params[0] as string)), {
      summary: 'Move the upstream account to a new key', template: '/admin/issuers/{name}/rollover', response: z.object({ accountUrl: z.string() }),
    }),
    manage('DELETE', new RegExp(`^/admin/issuers/${NAME}$`), async ({ params }) => {
      await d.issuers.remove(params[0] as string);
      return ok({ name: params[0], removed: true });
    }, { summary: 'Remove an issuer no managed certificate uses', template: '/admin/issuers/{name}', response: S.removedSchema }),
    read('GET', /^\/admin\/managed$/, async () => ok(await d.managed.list()), { summary: 'Managed certificates with their status', response: z.array(S.managedSchema) }),
    configure('POST', /^\/admin\/managed$/, async ({ json }) => ok(await d.managed.add(await json()), 201), {
      summary: 'Add a managed certificate; its first order is queued', request: inputSchema, status: 201, response: S.managedSchema,
    }),
    read('GET', new RegExp(`^/admin/managed/${NAME}$`), async ({ params }) => ok(await d.managed.show(params[0] as string)), { summary: 'One managed certificate and its current revision', template: managedT, response: S.managedSchema }),
    read('GET', new RegExp(`^/admin/managed/${NAME}/history$`), async ({ params }) => ok(await d.managed.history(params[0] as string)), {
      summary: 'Revisions kept, newest first', template: `${managedT}/history`, response: z.array(S.revisionSchema),
    }),
    manage('POST', new RegExp(`^/admin/managed/${NAME}/renew$`), async ({ params }) => ok(await d.managed.renewNow(params[0] as string)), { summary: 'Renew now', template: `${managedT}/renew`, response: S.managedSchema }),
    manage('DELETE', new RegExp(`^/admin/managed/${NAME}$`), async ({ params }) => {
      await d.managed.remove(params[0] as string);
      return ok({ name: params[0], removed: true });
    }, { summary: 'Remove a managed certificate', template: managedT, response: S.removedSchema }),
    configure('POST', /^\/admin\/apply$/, async ({ json, url, caller }) => {
      // No secret sources here: a request never makes the server read its own files or environment.
      const doc = resolveSources(await json(), [], undefined);
      const flag = (k: string): boolean => {
        const v = url.searchParams.get(k);
        if (v === null || v === 'false') return false;
        if (v === 'true') return true;
        throw new AppError('malformed', `${k} must be true or false, not "${v.slice(0, 20)}"`);
      };
      return ok(await d.apply(doc, { dryRun: flag('dryRun'), prune: flag('prune') }, `token:${caller.tokenId}`));
    }, {
      summary: 'Make issuers, managed certificates and TLS probes match a declarative document (docs/lifecycle.md, "Apply a file")',
      query: z.object({ dryRun: z.enum(['true', 'false']).optional(), prune: z.enum(['true', 'false']).optional() }),
      request: z.object({
        issuers: z.array(z.record(z.string(), z.unknown())).optional(), managed: z.array(z.record(z.string(), z.unknown())).optional(),
        probes: z.array(z.record(z.string(), z.unknown())).optional(),
      }),
      response: z.object({
        created: z.number().int(), updated: z.number().int(), removed: z.number().int(), dryRun: z.boolean(), summary: z.string(), lines: z.array(z.string()),
        changes: z.array(z.object({ op: z.enum(['create', 'update', 'remove']), kind: z.string(), name: z.string(), fields: z.array(z.string()), applied: z.boolean() })),
      }),
    }),
  ];
}

/** `GET /.well-known/acme-challenge/<token>` on every node, answered from the database (RFC 8555 §8.3). */
export function http01Routes(store: Pick<LifecycleStore, 'http01'>, now: () => number): PublicRoute[] {
  return [{
    path: HTTP01_PATH,
    handle: async (params): Promise<AcmeResponse | undefined> => {
      const answer = await http01Answer(store, params[0] as string, now());
      return answer === undefined ? undefined : { status: 200, headers: { 'Cache-Control': 'no-store' }, raw: { contentType: 'application/octet-stream', body: answer } };
    },
  }];
}
