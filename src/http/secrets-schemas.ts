/** Request and response bodies of the secrets store's admin routes (secrets-routes.ts), for the OpenAPI document. */
import { z } from 'zod';
import { CAPABILITIES, CHARSETS } from '../secrets/types.ts';
import { epochMs } from './admin-schemas.ts';

const whole = z.int().min(0);
const charset = z.enum(Object.keys(CHARSETS) as [keyof typeof CHARSETS]);

export const secretWriteRequest = z.object({ data: z.record(z.string(), z.string()), cas: whole.optional().meta({ description: 'the current version; 0 for a new path' }) });
export const secretPatchRequest = z.object({
  data: z.record(z.string(), z.string().nullable()).meta({ description: 'fields to set; null removes a field' }), cas: whole.optional(),
});
export const versionsRequest = z.object({ versions: z.array(whole) }).partial();

export const appendedSchema = z.object({ path: z.string(), version: z.int(), createdAt: epochMs });
export const secretVersionSchema = appendedSchema.extend({ data: z.record(z.string(), z.string()) });

export const secretReadQuery = z.object({
  version: z.string().meta({ description: 'a version number; default the current one' }),
  reason: z.string().meta({ description: 'why the value is revealed (recorded in the audit log)' }),
  format: z.enum(['json', 'env', 'raw']), field: z.string(), prefix: z.string(),
});

const settings = {
  maxVersions: z.int(), casRequired: z.boolean(), deleteVersionAfterMs: z.int(), revealReasonRequired: z.boolean(), honeytoken: z.boolean(),
  customMetadata: z.record(z.string(), z.string()), rotateEveryMs: z.int(),
};

export const metadataRequest = z.object(settings).partial();

export const metadataSchema = z.object({
  ...settings,
  generator: z.object({ field: z.string(), length: z.int(), charset }).nullable(),
  path: z.string(), currentVersion: z.int(), createdAt: epochMs, updatedAt: epochMs, nextRotationAt: epochMs.nullable(),
  versions: z.array(z.object({ version: z.int(), createdAt: epochMs, createdBy: z.string(), deletedAt: epochMs.nullable(), destroyed: z.boolean() })),
});

export const listingSchema = z.array(z.object({ path: z.string(), currentVersion: z.int(), updatedAt: epochMs }));

export const generateRequest = z.object({
  field: z.string(), length: z.int(), charset, rotateEveryMs: whole, cas: whole,
}).partial();

const rule = z.object({ path: z.string().meta({ description: 'glob: * within a segment, ** across' }), capabilities: z.array(z.enum(CAPABILITIES)) });
export const policySchema = z.object({ name: z.string(), rules: z.array(rule), tokens: z.array(z.string()) });
export const policyRequest = z.object({ rules: z.array(rule) });
export const attachRequest = z.object({ tokenId: z.string() });
export const attachSchema = z.object({ policy: z.string(), tokenId: z.string(), changed: z.boolean() });
