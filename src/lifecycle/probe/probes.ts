/** Probe endpoints as operators manage them (CLI, admin API): add, list, show, remove, run now. */
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '../../duration.ts';
import { AppError } from '../../errors.ts';
import { checkName } from '../issuers.ts';
import { runProbe } from './run-probe.ts';
import type { ProbeEndpoint, ProbeStore } from './store.ts';

/** Probes run hourly unless told otherwise (the schema's default); more often than every 5 s is refused. */
const MIN_INTERVAL_MS = 5_000;

/** The admin API's `POST /admin/probes` body, also its OpenAPI request schema. */
export const probeInputSchema = z.strictObject({
  name: z.string(),
  host: z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'the host must be a DNS name or an IP address (IPv6 without brackets)'),
  port: z.number().int().min(1).max(65_535).default(443),
  servername: z.string().regex(/^[A-Za-z0-9._-]{1,253}$/, 'the SNI name must be a DNS name').optional(),
  trustPem: z.string().max(1_000_000).optional(),
  expectedManaged: z.string().optional(),
  interval: z.string().default('1h'),
  unreachableAfter: z.number().int().min(1).max(100).default(2),
});

export interface ProbeServiceDeps {
  store: ProbeStore;
  now: () => number;
  /** Who the audit records name: `cli:<user>` or `token:<id>`. */
  actor: string;
}

export class ProbeService {
  constructor(private readonly deps: ProbeServiceDeps) {}

  async add(input: unknown): Promise<ProbeEndpoint> {
    const p = parseProbe(input, this.deps.now());
    await this.deps.store.transaction(async (s) => {
      if (!(await s.insertProbe(p))) throw new AppError('conflict', `probe ${p.name} already exists; change it with "certainty apply" or remove it first`);
      await s.audit({
        actor: this.deps.actor, action: 'lifecycle.probe-added', object: `probe:${p.name}`, outcome: 'success',
        details: { endpoint: `${p.host}:${p.port}`, servername: p.servername, expectedManaged: p.expectedManaged },
      });
    });
    return p;
  }

  list(): Promise<ProbeEndpoint[]> {
    return this.deps.store.probes();
  }

  async show(name: string): Promise<ProbeEndpoint> {
    const p = await this.deps.store.probe(name);
    if (!p) throw new AppError('notFound', `no probe ${name}; see "certainty probe list"`);
    return p;
  }

  async remove(name: string): Promise<void> {
    await this.deps.store.transaction(async (s) => {
      if (!(await s.deleteProbe(name))) throw new AppError('notFound', `no probe ${name}; see "certainty probe list"`);
      await s.audit({ actor: this.deps.actor, action: 'lifecycle.probe-removed', object: `probe:${name}`, outcome: 'success' });
    });
  }

  /** Probes now, stores the result and its conditions, and starts the interval again from now. */
  async run(name: string): Promise<ProbeEndpoint> {
    const p = await this.show(name);
    const now = this.deps.now();
    await this.deps.store.claimProbe(p.name, p.nextProbeAt, now + p.intervalMs);
    return runProbe(this.deps.store, p, now);
  }
}

/**
 * The checked probe, due at `now`, or a `malformed` AppError whose detail starts `probe: FIELD: `
 * (apply puts the entry's place in the file in front of the field).
 */
export function parseProbe(input: unknown, now: number): ProbeEndpoint {
  const parsed = probeInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('malformed', `probe: ${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`);
  }
  const v = parsed.data;
  checked('name', () => checkName(v.name, 'probe'));
  if (v.expectedManaged !== undefined) checked('expectedManaged', () => checkName(v.expectedManaged ?? '', 'managed certificate'));
  const intervalMs = checked('interval', () => parseDuration(v.interval));
  if (intervalMs < MIN_INTERVAL_MS) throw new AppError('malformed', `probe: interval: ${v.interval} is shorter than 5s; probe less often`);
  if (v.trustPem !== undefined) checked('trustPem', () => checkTrust(v.trustPem ?? ''));
  return {
    name: v.name, host: v.host, port: v.port, servername: v.servername ?? null, trustPem: v.trustPem ?? null, expectedManaged: v.expectedManaged ?? null,
    intervalMs, unreachableAfter: v.unreachableAfter, nextProbeAt: now, createdAt: now, version: 1, last: null,
  };
}

/** `check()`'s result, or its error as a `malformed` AppError naming `field`. */
function checked<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw new AppError('malformed', `probe: ${field}: ${err instanceof AppError ? err.detail : (err as Error).message}`);
  }
}

function checkTrust(pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error('no certificate');
    for (const b of blocks) new X509Certificate(b);
  } catch {
    throw new AppError('malformed', 'the trust bundle must hold one or more PEM certificates (-----BEGIN CERTIFICATE-----)');
  }
}
