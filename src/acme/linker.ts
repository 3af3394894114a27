/** Every ACME URL is built here and parsed here (one place to change a path); CRL paths are the CA's (src/ca/crl-shards.ts). */
import { crlPath } from '../ca/crl-shards.ts';

export const PATHS = {
  directory: '/directory',
  newNonce: '/acme/new-nonce',
  newAccount: '/acme/new-account',
  newOrder: '/acme/new-order',
  revokeCert: '/acme/revoke-cert',
  keyChange: '/acme/key-change',
  renewalInfo: '/acme/renewal-info',
  account: '/acme/account/',
  order: '/acme/order/',
  authz: '/acme/authz/',
  challenge: '/acme/chall/',
  certificate: '/acme/cert/',
  rootPem: '/ca/root.pem',
  intermediatePem: '/ca/intermediate.pem',
} as const;

export class Linker {
  constructor(readonly base: string) {}

  private u(path: string): string {
    return `${this.base}${path}`;
  }

  directory(): string { return this.u(PATHS.directory); }
  newNonce(): string { return this.u(PATHS.newNonce); }
  newAccount(): string { return this.u(PATHS.newAccount); }
  newOrder(): string { return this.u(PATHS.newOrder); }
  revokeCert(): string { return this.u(PATHS.revokeCert); }
  keyChange(): string { return this.u(PATHS.keyChange); }
  renewalInfo(certId?: string): string { return this.u(certId === undefined ? PATHS.renewalInfo : `${PATHS.renewalInfo}/${certId}`); }
  account(id: string): string { return this.u(PATHS.account + id); }
  accountOrders(id: string, cursor?: string): string {
    return this.u(`${PATHS.account}${id}/orders${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`);
  }
  order(id: string): string { return this.u(PATHS.order + id); }
  finalize(orderId: string): string { return this.u(`${PATHS.order}${orderId}/finalize`); }
  authz(id: string): string { return this.u(PATHS.authz + id); }
  challenge(id: string): string { return this.u(PATHS.challenge + id); }
  certificate(id: string): string { return this.u(PATHS.certificate + id); }
  /** The issuer's CRL, or one shard's partitioned CRL (src/ca/crl-shards.ts). */
  crl(issuerId: string, shard?: number): string {
    return this.u(crlPath(issuerId, shard));
  }
}

/** An ACME resource a path names, or undefined. */
type StaticKind = 'directory' | 'newNonce' | 'newAccount' | 'newOrder' | 'revokeCert' | 'keyChange';
type IdKind = 'renewalInfo' | 'account' | 'accountOrders' | 'order' | 'finalize' | 'authz' | 'challenge' | 'certificate';
export type Route = { kind: StaticKind } | { kind: IdKind; id: string };

const ID = '([A-Za-z0-9_-]{1,64})';
const DYNAMIC: Array<[RegExp, IdKind]> = [
  [new RegExp(`^${PATHS.account}${ID}$`), 'account'],
  [new RegExp(`^${PATHS.account}${ID}/orders$`), 'accountOrders'],
  [new RegExp(`^${PATHS.order}${ID}$`), 'order'],
  [new RegExp(`^${PATHS.order}${ID}/finalize$`), 'finalize'],
  [new RegExp(`^${PATHS.authz}${ID}$`), 'authz'],
  [new RegExp(`^${PATHS.challenge}${ID}$`), 'challenge'],
  [new RegExp(`^${PATHS.certificate}${ID}$`), 'certificate'],
  [new RegExp(`^${PATHS.renewalInfo}/([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)$`), 'renewalInfo'],
];

const STATIC: Record<string, StaticKind> = {
  [PATHS.directory]: 'directory',
  [PATHS.newNonce]: 'newNonce',
  [PATHS.newAccount]: 'newAccount',
  [PATHS.newOrder]: 'newOrder',
  [PATHS.revokeCert]: 'revokeCert',
  [PATHS.keyChange]: 'keyChange',
};

export function matchRoute(pathname: string): Route | undefined {
  const fixed = STATIC[pathname];
  if (fixed !== undefined) return { kind: fixed };
  for (const [re, kind] of DYNAMIC) {
    const m = re.exec(pathname);
    if (m?.[1] !== undefined) return { kind, id: m[1] };
  }
  return undefined;
}
