import { z } from 'zod';
import { AppError } from '../errors.ts';
import { discoverInventory } from '../lifecycle/probe/inventory.ts';
import { probeInputSchema, type ProbeService } from '../lifecycle/probe/probes.ts';
import type { ProbeStore } from '../lifecycle/probe/store.ts';
import { needs, ok, type AdminRoute } from './admin-routes.ts';
import { removedSchema } from './lifecycle-schemas.ts';

const NAME = '([a-z0-9][a-z0-9._-]{0,62})';
const probeT = '/admin/probes/{name}';

const outcomeSchema = z.object({
  checkedAt: z.number(), outcome: z.enum(['ok', 'problem', 'error']), consecutiveErrors: z.number().int(), error: z.string().nullable(),
  fingerprint256: z.string().nullable(), serial: z.string().nullable(), notAfter: z.number().nullable(), daysLeft: z.number().nullable(),
  chainValid: z.boolean().nullable(), chainError: z.string().nullable(), nameMatch: z.boolean().nullable(), drift: z.boolean().nullable(),
});

const probeSchema = z.object({
  name: z.string(), host: z.string(), port: z.number().int(), servername: z.string().nullable(), trustPem: z.string().nullable(),
  expectedManaged: z.string().nullable(), intervalMs: z.number().int(), unreachableAfter: z.number().int(), nextProbeAt: z.number(), createdAt: z.number(),
  version: z.number().int(), last: outcomeSchema.nullable(),
});

const discoveredSchema = z.object({
  endpoint: z.string(), fingerprint256: z.string(), serial: z.string(), subject: z.string(), names: z.array(z.string()), issuer: z.string(),
  notAfter: z.number(), issuedHere: z.boolean(), firstSeen: z.number(), lastSeen: z.number(),
});

const discoverRequest = z.strictObject({ targets: z.array(z.string()).min(1).max(64), save: z.boolean().default(false) });

/** TLS probes and discovery (docs/admin-api.md, docs/lifecycle.md "Probes and discovery"). */
export function probeRoutes(d: { probes: ProbeService; store: ProbeStore; now: () => number }): AdminRoute[] {
  const read = needs('lifecycle.read');
  const manage = needs('lifecycle.manage');
  return [
    read('GET', /^\/admin\/probes$/, async () => ok(await d.probes.list()), { summary: 'TLS probes with their last result', response: z.array(probeSchema) }),
    manage('POST', /^\/admin\/probes$/, async ({ json }) => ok(await d.probes.add(await json()), 201), {
      summary: 'Add a TLS probe; it runs at the next pass of the probes duty', request: probeInputSchema, status: 201, response: probeSchema,
    }),
    read('GET', new RegExp(`^/admin/probes/${NAME}$`), async ({ params }) => ok(await d.probes.show(params[0] as string)), { summary: 'One TLS probe and its last result', template: probeT, response: probeSchema }),
    manage('POST', new RegExp(`^/admin/probes/${NAME}/run$`), async ({ params }) => ok(await d.probes.run(params[0] as string)), {
      summary: 'Probe now; the result is stored and its conditions raised or cleared', template: `${probeT}/run`, response: probeSchema,
    }),
    manage('DELETE', new RegExp(`^/admin/probes/${NAME}$`), async ({ params }) => {
      await d.probes.remove(params[0] as string);
      return ok({ name: params[0], removed: true });
    }, { summary: 'Remove a TLS probe', template: probeT, response: removedSchema }),
    read('GET', /^\/admin\/discovered$/, async () => ok(await d.store.discovered()), { summary: 'The inventory of certificates discovery found', response: z.array(discoveredSchema) }),
    manage('POST', /^\/admin\/discover$/, async ({ json }) => {
      const req = discoverRequest.safeParse(await json());
      if (!req.success) throw new AppError('malformed', 'discover takes {"targets": ["host:port" or "range:port", …] (1 to 64), "save": true or false}');
      return ok(await discoverInventory(d, req.data));
    }, { summary: 'Scan host:port targets and address ranges for TLS certificates; "save" keeps them in the inventory', request: discoverRequest, response: z.array(discoveredSchema) }),
  ];
}
