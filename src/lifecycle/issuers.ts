/** Issuers: the upstream ACME CAs (or Certainty's own CA) managed certificates are ordered from. */
import { AppError } from '../errors.ts';
import type { Kek } from '../kek/kek.ts';
import { rolloverAccountKey } from './rollover.ts';
import type { LifecycleStore } from './store.ts';
import { checkRateLimit } from './rate-budget.ts';
import { eabAad, type AcmeIssuerConfig, type Issuer, type IssuerKind, type NewIssuer, type RateLimit } from './types.ts';

export interface IssuerInput {
  name: string;
  kind: IssuerKind;
  directoryUrl?: string;
  contact?: string[];
  eabKid?: string;
  /** base64url, as CAs hand it out. */
  eabHmacKey?: string;
  trustPem?: string;
  preferredChain?: string;
  profile?: string;
  /** New orders the cluster may place per period; unset: 300 per 3h (rate-budget.ts). */
  rateLimit?: RateLimit;
}

export interface LifecycleServiceDeps {
  store: LifecycleStore;
  kek: Kek;
  now: () => number;
  /** Who the audit records name: `cli:<user>` or `admin-api`. */
  actor: string;
}

const ROLLOVER_TIMEOUT_MS = 30_000;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function checkName(name: string, what: string): void {
  if (!NAME.test(name)) throw new AppError('malformed', `${what} name "${name.slice(0, 80)}" must be 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`);
}

function acmeConfig(input: IssuerInput): AcmeIssuerConfig {
  const url = input.directoryUrl ?? '';
  if (!/^https:\/\/[^\s]+$/.test(url)) throw new AppError('malformed', 'an acme issuer needs --directory https://…/directory (the upstream CA\'s ACME directory URL)');
  for (const c of input.contact ?? []) {
    if (!/^mailto:[^\s@]+@[^\s@]+$/.test(c)) throw new AppError('malformed', `contact "${c.slice(0, 80)}" must be a mailto: URL, e.g. mailto:ops@example.com`);
  }
  if ((input.eabKid === undefined) !== (input.eabHmacKey === undefined)) throw new AppError('malformed', 'EAB needs both the key id (--eab-kid) and the HMAC key (--eab-hmac)');
  if (input.eabHmacKey !== undefined && !/^[A-Za-z0-9_-]{16,}={0,2}$/.test(input.eabHmacKey)) throw new AppError('malformed', 'the EAB HMAC key must be base64url, as the CA gave it');
  if (input.trustPem !== undefined && !input.trustPem.includes('-----BEGIN CERTIFICATE-----')) throw new AppError('malformed', 'the trust bundle must hold PEM certificates');
  return {
    directoryUrl: url, contact: input.contact ?? [],
    ...(input.eabKid === undefined ? {} : { eabKid: input.eabKid }),
    ...(input.trustPem === undefined ? {} : { trustPem: input.trustPem }),
    ...(input.preferredChain === undefined ? {} : { preferredChain: input.preferredChain }),
    ...(input.profile === undefined ? {} : { profile: input.profile }),
    ...(input.rateLimit === undefined ? {} : { rateLimit: checkRateLimit(input.rateLimit) }),
  };
}

/** The issuer `input` declares, checked, its EAB HMAC key wrapped; a `malformed` AppError says what is wrong. */
export function newIssuer(input: IssuerInput, deps: Pick<LifecycleServiceDeps, 'kek' | 'now'>): NewIssuer {
  checkName(input.name, 'issuer');
  if (input.kind !== 'acme' && input.kind !== 'local') throw new AppError('malformed', 'the issuer kind must be "acme" (an upstream ACME CA) or "local" (this CA)');
  const acme = input.kind === 'acme' ? acmeConfig(input) : undefined;
  const hmac = input.eabHmacKey === undefined ? undefined : Buffer.from(input.eabHmacKey.replace(/=+$/, ''), 'base64url');
  const eabHmacWrapped = hmac === undefined ? undefined : deps.kek.wrap(hmac, eabAad(input.name));
  return { name: input.name, kind: input.kind, acme, hasEab: hmac !== undefined, createdAt: deps.now(), eabHmacWrapped };
}

/** Adding, listing and removing issuers; every change audited with it. */
export class IssuerService {
  constructor(private readonly deps: LifecycleServiceDeps) {}

  async add(input: IssuerInput): Promise<Issuer> {
    const { eabHmacWrapped, ...issuer } = newIssuer(input, this.deps);
    const acme = issuer.acme;
    await this.deps.store.transaction(async (s) => {
      if (!(await s.insertIssuer({ ...issuer, eabHmacWrapped }))) throw new AppError('conflict', `issuer ${input.name} already exists; remove it first or choose another name`);
      await s.audit({
        actor: this.deps.actor, action: 'lifecycle.issuer-added', object: `issuer:${input.name}`, outcome: 'success',
        details: { kind: input.kind, ...(acme ? { directory: acme.directoryUrl, eabKid: acme.eabKid ?? null } : {}) },
      });
    });
    return issuer;
  }

  list(): Promise<Issuer[]> {
    return this.deps.store.issuers();
  }

  async show(name: string): Promise<Issuer> {
    const issuer = await this.deps.store.issuer(name);
    if (!issuer) throw new AppError('notFound', `no issuer ${name}; see "certainty issuer list"`);
    return issuer;
  }

  /** Moves the upstream account to a new key (keyChange); run it again if it was interrupted. */
  rollover(name: string): Promise<{ accountUrl: string }> {
    return rolloverAccountKey({ ...this.deps, timeoutMs: ROLLOVER_TIMEOUT_MS }, name);
  }

  async remove(name: string): Promise<void> {
    await this.deps.store.transaction(async (s) => {
      const using = await s.managedUsingIssuer(name);
      if (using > 0) throw new AppError('conflict', `issuer ${name} still issues ${using} managed certificate(s); remove them first`);
      if (!(await s.deleteIssuer(name))) throw new AppError('notFound', `no issuer ${name}; see "certainty issuer list"`);
      await s.audit({ actor: this.deps.actor, action: 'lifecycle.issuer-removed', object: `issuer:${name}`, outcome: 'success' });
    });
  }
}
