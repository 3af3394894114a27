/** Request and response bodies of the SSH CA's admin routes (ssh-routes.ts), for the OpenAPI document. */
import { z } from 'zod';
import { SSH_KEY_FAMILIES } from '../ssh/keys.ts';
import { SSH_CA_ALGORITHMS } from '../ssh/signer.ts';
import { epochMs } from './admin-schemas.ts';

const kind = z.enum(['user', 'host']);
const duration = z.union([z.string(), z.number()]).meta({ description: 'a duration such as "8h", or milliseconds' });

export const sshCaSchema = z.object({
  id: z.string(), kind, algorithm: z.enum(SSH_CA_ALGORITHMS), publicKey: z.string().meta({ description: 'authorized_keys form' }),
  status: z.enum(['standby', 'active', 'retiring', 'retired']), createdAt: epochMs, version: z.int(),
});

export const sshCaCreateRequest = z.object({ kind, algorithm: z.enum(SSH_CA_ALGORITHMS).optional() });
export const sshCaRotateRequest = z.object({ kind });
export const sshRotateSchema = z.object({ active: sshCaSchema, retiring: sshCaSchema.optional() });

export const sshRoleSchema = z.object({
  name: z.string(), kind, principals: z.array(z.string()), allowedDomains: z.array(z.string()),
  defaultExtensions: z.array(z.string()), allowedExtensions: z.array(z.string()),
  criticalOptions: z.record(z.string(), z.string()), allowedCriticalOptions: z.array(z.string()),
  keyTypes: z.array(z.enum(SSH_KEY_FAMILIES)), minRsaBits: z.int(), ttlMs: z.int(), maxTtlMs: z.int(), backdateMs: z.int(),
  keyIdTemplate: z.string(), tokens: z.array(z.string()),
});

/** What `PUT /admin/ssh/roles/{name}` takes (src/ssh/role.ts fills the defaults and checks the rules). */
export const sshRoleRequest = z.object({
  kind, principals: z.array(z.string()), allowedDomains: z.array(z.string()), defaultExtensions: z.array(z.string()),
  allowedExtensions: z.array(z.string()), criticalOptions: z.record(z.string(), z.string()), allowedCriticalOptions: z.array(z.string()),
  keyTypes: z.array(z.enum(SSH_KEY_FAMILIES)), minRsaBits: z.int().min(2048), ttl: duration, maxTtl: duration, backdate: duration,
  keyIdTemplate: z.string().min(1).max(255), tokens: z.array(z.string()),
}).partial();

export const sshSignRequest = z.object({
  role: z.string(), publicKey: z.string().meta({ description: 'the public key line (the .pub file)' }),
  principals: z.array(z.string()).optional(), ttl: z.string().optional().meta({ description: 'e.g. "8h"' }),
  extensions: z.array(z.string()).optional(), criticalOptions: z.record(z.string(), z.string()).optional(),
});

export const sshCertSchema = z.object({
  serial: z.string(), caId: z.string(), kind, role: z.string(), keyId: z.string(), principals: z.array(z.string()), fingerprint: z.string(),
  validAfter: epochMs, validBefore: epochMs, tokenId: z.string().nullable(), createdAt: epochMs, revokedAt: epochMs.nullable(),
});

export const sshSignedSchema = sshCertSchema.extend({ certificate: z.string().meta({ description: 'the -cert.pub line' }) });

export const sshCountsSchema = z.object({ certificates: z.int(), revoked: z.int(), revocations: z.int() });

export const sshRevokeRequest = z.object({ serial: z.string(), keyId: z.string(), publicKey: z.string(), reason: z.string() })
  .partial().meta({ description: 'one of serial, keyId or publicKey' });

export const sshRevocationSchema = z.object({
  target: z.enum(['serial', 'key-id', 'public-key']), value: z.string(), caId: z.string().nullable(), reason: z.string(), createdAt: epochMs, created: z.boolean(),
});

export const sshExplainRequest = z.object({ certificate: z.string(), principal: z.string().optional(), at: z.string().optional().meta({ format: 'date-time' }) });

export const sshExplainSchema = z.object({ accepted: z.boolean(), checks: z.array(z.object({ check: z.string(), ok: z.boolean(), detail: z.string() })) });
