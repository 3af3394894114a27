/** Request and response bodies of the CA's own admin routes (admin-routes.ts), for validation and the OpenAPI document. */
import { z } from 'zod';

/** An ISO 8601 time as the admin API writes it. */
const isoTime = z.string().meta({ format: 'date-time' });
/** Epoch milliseconds, as the SSH and secrets domains write times. */
export const epochMs = z.number().int().meta({ description: 'epoch milliseconds' });

const certificateDescription = z.object({ subject: z.string(), notBefore: isoTime, notAfter: isoTime, sha256: z.string() });

export const caInfoSchema = z.object({
  issuerId: z.string(), root: certificateDescription, intermediate: certificateDescription,
  algorithm: z.string().meta({ description: 'the configured key algorithm (ca.algorithm)' }),
});

export const statusSchema = z.object({
  counts: z.object({ accounts: z.number().int(), orders: z.number().int(), pendingOrders: z.number().int(), certificates: z.number().int(), revokedCertificates: z.number().int() }),
  ca: caInfoSchema,
});

export const accountSchema = z.object({
  id: z.string(), status: z.string(), contact: z.array(z.string()), eabKid: z.string().nullable(), createdAt: isoTime,
  orders: z.number().int(), certificates: z.number().int(), keyThumbprint: z.string(),
});

export const certificateSchema = z.object({
  serial: z.string(), names: z.array(z.string()), accountId: z.string(), notBefore: isoTime, notAfter: isoTime,
  revokedAt: isoTime.nullable(), revocationReason: z.number().int().nullable(), replacedBy: z.string().nullable(),
});

export const certificateDetailSchema = certificateSchema.extend({ pem: z.string(), subject: z.string(), issuer: z.string() });

export const eabKeySchema = z.object({ kid: z.string(), label: z.string(), accountId: z.string().nullable(), createdAt: isoTime, revoked: z.boolean() });

export const limitQuery = z.object({ limit: z.number().int().min(1).max(10000).meta({ description: 'at most this many, default 100' }) });

export const certificatesQuery = limitQuery.extend({ name: z.string().meta({ description: 'only certificates naming this identifier' }), revoked: z.enum(['true', 'false']) });

export const revokeRequest = z.object({ reason: z.number().int().min(0).max(10).meta({ description: 'RFC 5280 CRLReason code; 0 when absent' }) }).partial();

export const eabCreateRequest = z.object({ label: z.string().max(200) }).partial();
