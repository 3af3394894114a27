/** What an operator may declare for a managed certificate, checked strictly (CLI, admin API). */
import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { parseTargetSpec } from './deploy/types.ts';
import { checkName } from './issuers.ts';
import { KEY_TYPES, type ManagedSpec } from './types.ts';

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const solverSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('http-01') }),
  z.strictObject({
    type: z.literal('exec'),
    challenge: z.enum(['http-01', 'dns-01']),
    command: z.string().regex(/^\//, 'the hook command must be an absolute path'),
    args: z.array(z.string()).max(32).default([]),
    timeoutMs: z.number().int().min(1000).max(600_000).default(60_000),
  }),
]);

const inputSchema = z.strictObject({
  name: z.string(),
  issuer: z.string(),
  names: z.array(z.string().min(1).max(253)).min(1).max(100),
  keyType: z.enum(KEY_TYPES).default('ecdsa-p256'),
  reuseKey: z.boolean().default(false),
  revisionLimit: z.number().int().min(1).max(100).default(5),
  solver: solverSchema.default({ type: 'http-01' }),
  targets: z.array(z.unknown()).max(32).default([]),
  renewWhenLeft: z.number().gt(0).lt(1).default(1 / 3),
  validityDays: z.number().int().min(1).max(397).default(90),
});



function checkIdentifier(name: string): string {
  const lower = name.toLowerCase();
  if (isIP(lower) !== 0 || DNS_NAME.test(lower)) return lower;
  throw new AppError('malformed', `"${name.slice(0, 80)}" is neither a DNS name nor an IP address`);
}

/** The checked spec, or a `malformed` AppError naming the field and what it expects. */
export function parseManagedInput(input: unknown): { name: string; issuer: string; spec: ManagedSpec } {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('malformed', `managed certificate: ${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`);
  }
  const v = parsed.data;
  checkName(v.name, 'managed certificate');
  if (v.solver.type === 'http-01' && v.names.some((n) => n.startsWith('*.'))) {
    throw new AppError('malformed', 'wildcard names need dns-01: use an exec solver with challenge dns-01');
  }
  const targets = v.targets.map((t, i) => {
    try {
      return parseTargetSpec(t);
    } catch (err) {
      throw new AppError('malformed', `targets.${i}: ${(err as Error).message}`);
    }
  });
  return {
    name: v.name,
    issuer: v.issuer,
    spec: {
      names: [...new Set(v.names.map(checkIdentifier))], keyType: v.keyType, reuseKey: v.reuseKey, revisionLimit: v.revisionLimit,
      solver: v.solver, targets, policy: { renewWhenLeft: v.renewWhenLeft, validityDays: v.validityDays },
    },
  };
}
