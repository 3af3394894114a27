/** What an operator may declare for a managed certificate, checked strictly (CLI, admin API). */
import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { parseTargetSpec } from './deploy/types.ts';
import { checkName } from './issuers.ts';
import { TSIG_ALGORITHMS } from './dns-update/tsig.ts';
import { KEY_TYPES, type ManagedSpec, type SolverSpec } from './types.ts';

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A zone or TSIG key name: labels of letters, digits, "-" and "_", an optional final dot. */
const DNS_ZONE = /^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$/;

const solverSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('http-01') }),
  z.strictObject({
    type: z.literal('exec'),
    challenge: z.enum(['http-01', 'dns-01']),
    command: z.string().regex(/^\//, 'the hook command must be an absolute path'),
    args: z.array(z.string()).max(32).default([]),
    timeoutMs: z.number().int().min(1000).max(600_000).default(60_000),
  }),
  z.strictObject({
    type: z.literal('dns-01'),
    rfc2136: z.strictObject({
      server: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'the DNS server must be a host name or an IP address')
        .refine((v) => !v.includes(':') || isIP(v) === 6, 'the DNS server must be a host name or an IP address; give its port as "port"'),
      port: z.number().int().min(1).max(65_535).default(53),
      zone: z.string().regex(DNS_ZONE, 'the zone must be a DNS name such as example.com').optional(),
      keyName: z.string().regex(DNS_ZONE, 'the TSIG key name must be a DNS name, as in the server\'s key statement'),
      keyAlgorithm: z.enum(TSIG_ALGORITHMS).default('hmac-sha256'),
      keySecret: z.string().regex(/^[A-Za-z0-9+/]{16,}={0,2}$/, 'the TSIG secret must be base64, as in the server\'s key statement (tsig-keygen prints it)'),
    }),
  }),
]);

/** The admin API's `POST /admin/managed` body, also its OpenAPI request schema. */
export const inputSchema = z.strictObject({
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

/** Seals a TSIG secret for the managed certificate `name` (wrapped by the KEK, base64). */
export type SealTsig = (secret: Buffer, name: string) => string;

function solverSpec(solver: z.infer<typeof solverSchema>, name: string, seal: SealTsig | undefined): SolverSpec {
  if (solver.type !== 'dns-01') return solver;
  if (seal === undefined) throw new Error('a dns-01 solver needs the KEK to seal its TSIG secret');
  const { keySecret, zone, ...rest } = solver.rfc2136;
  return { type: 'dns-01', rfc2136: { ...rest, ...(zone === undefined ? {} : { zone: zone.toLowerCase() }), keySecretWrapped: seal(Buffer.from(keySecret, 'base64'), name) } };
}

/**
 * The checked spec, or a `malformed` AppError naming the field and what it expects. A dns-01
 * solver's TSIG secret is sealed with `seal` and only the sealed form is returned.
 */
export function parseManagedInput(input: unknown, seal?: SealTsig): { name: string; issuer: string; spec: ManagedSpec } {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('malformed', `managed certificate: ${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`);
  }
  const v = parsed.data;
  checkName(v.name, 'managed certificate');
  if (v.solver.type === 'http-01' && v.names.some((n) => n.startsWith('*.'))) {
    throw new AppError('malformed', 'wildcard names need dns-01: use the RFC 2136 solver (--dns-server) or an exec hook with challenge dns-01');
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
      solver: solverSpec(v.solver, v.name, seal), targets, policy: { renewWhenLeft: v.renewWhenLeft, validityDays: v.validityDays },
    },
  };
}
