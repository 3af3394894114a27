import type { AcmeResponse } from '../acme/context.ts';
import { AppError } from '../errors.ts';
import type { IssuerInput, IssuerService } from '../lifecycle/issuers.ts';
import type { ManagedService } from '../lifecycle/managed.ts';
import { http01Answer, HTTP01_PATH } from '../lifecycle/solvers.ts';
import type { LifecycleStore } from '../lifecycle/store.ts';
import { needs, ok, type AdminRoute } from './admin-routes.ts';
import type { PublicRoute } from './side-routes.ts';

const NAME = '([a-z0-9][a-z0-9._-]{0,62})';

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
  return input as unknown as IssuerInput;
}

/** The lifecycle admin API (docs/admin-api.md): issuers and managed certificates. */
export function lifecycleRoutes(d: { issuers: IssuerService; managed: ManagedService }): AdminRoute[] {
  const read = needs('lifecycle.read');
  const manage = needs('lifecycle.manage');
  const configure = needs('lifecycle.configure');
  return [
    read('GET', /^\/admin\/issuers$/, async () => ok(await d.issuers.list())),
    configure('POST', /^\/admin\/issuers$/, async ({ json }) => ok(await d.issuers.add(issuerInputOf(await json())), 201)),
    read('GET', new RegExp(`^/admin/issuers/${NAME}$`), async ({ params }) => ok(await d.issuers.show(params[0] as string))),
    manage('POST', new RegExp(`^/admin/issuers/${NAME}/rollover$`), async ({ params }) => ok(await d.issuers.rollover(params[0] as string))),
    manage('DELETE', new RegExp(`^/admin/issuers/${NAME}$`), async ({ params }) => {
      await d.issuers.remove(params[0] as string);
      return ok({ name: params[0], removed: true });
    }),
    read('GET', /^\/admin\/managed$/, async () => ok(await d.managed.list())),
    configure('POST', /^\/admin\/managed$/, async ({ json }) => ok(await d.managed.add(await json()), 201)),
    read('GET', new RegExp(`^/admin/managed/${NAME}$`), async ({ params }) => ok(await d.managed.show(params[0] as string))),
    read('GET', new RegExp(`^/admin/managed/${NAME}/history$`), async ({ params }) => ok(await d.managed.history(params[0] as string))),
    manage('POST', new RegExp(`^/admin/managed/${NAME}/renew$`), async ({ params }) => ok(await d.managed.renewNow(params[0] as string))),
    manage('DELETE', new RegExp(`^/admin/managed/${NAME}$`), async ({ params }) => {
      await d.managed.remove(params[0] as string);
      return ok({ name: params[0], removed: true });
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
