/**
 * Response bodies of the cluster and audit admin routes (ops-routes.ts), for the OpenAPI document.
 * Open objects: docs/cluster.md and docs/audit.md describe every field.
 */
import { z } from 'zod';

export const clusterSchema = z.looseObject({
  nodes: z.array(z.looseObject({ id: z.string(), leases: z.array(z.string()) })),
  leases: z.array(z.looseObject({ name: z.string() })),
  queue: z.unknown(),
});

export const auditQuery = z.object({
  limit: z.int().min(1).max(10_000).meta({ description: 'at most this many, default 100' }),
  action: z.string(), actor: z.string(), object: z.string(), node: z.string(),
});

export const auditRecordSchema = z.object({
  nodeId: z.string(), seq: z.int(), time: z.string(), timeMs: z.number(), actor: z.string(), action: z.string(),
  object: z.string(), outcome: z.string(), details: z.unknown(), prevHash: z.string(), hash: z.string(),
});

export const verifySchema = z.looseObject({ intact: z.boolean(), checkpointKey: z.string().nullable(), chains: z.array(z.looseObject({ nodeId: z.string(), records: z.int() })) });

export const sinksSchema = z.array(z.looseObject({}));
