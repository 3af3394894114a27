import { createHash, randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { isTokenRole, type TokenRole } from './roles.ts';
import type { ConsoleSessionStore } from './store.ts';

/** A sign-in left at the provider longer than this must start again. */
const LOGIN_TTL_MS = 10 * 60_000;

export interface ConsoleOidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The ID token (or userinfo) claim listing the user's groups. */
  groupsClaim: string;
  /** Group → role; the first entry whose group the user is in decides. */
  roleMap: Readonly<Record<string, TokenRole>>;
  /** This console's callback, from the configured public URL (never from a request's Host). */
  redirectUri: string;
}

export interface ConsoleOidcDeps {
  store: Pick<ConsoleSessionStore, 'insertLogin' | 'takeLogin'>;
  now: () => number;
}

const hash = (v: string): string => createHash('sha256').update(v).digest('hex');

/** Loopback only: a provider on this machine (a test, a local dev IdP) may be plain HTTP; any other must be HTTPS. */
function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/**
 * Console sign-in with OpenID Connect: authorization code flow with PKCE, state and nonce
 * (openid-client checks the ID token's signature, issuer, audience, expiry and nonce). The pending
 * sign-in lives in the database, so the provider may send the browser back to any node.
 */
export class ConsoleOidc {
  private config: Promise<client.Configuration> | undefined;

  constructor(private readonly settings: ConsoleOidcSettings, private readonly deps: ConsoleOidcDeps) {}

  /** Discovered once per node; a failed discovery is tried again on the next sign-in. */
  private configuration(): Promise<client.Configuration> {
    const issuer = new URL(this.settings.issuer);
    const options = issuer.protocol === 'http:' && isLoopback(issuer) ? { execute: [client.allowInsecureRequests] } : undefined;
    this.config ??= client.discovery(issuer, this.settings.clientId, this.settings.clientSecret, undefined, options).catch((err: unknown) => {
      this.config = undefined;
      throw new Error(`the OpenID provider ${this.settings.issuer} could not be discovered: ${(err as Error).message}`, { cause: err });
    });
    return this.config;
  }

  /** Where to send the browser, and the value of its sign-in cookie (which must come back with the answer). */
  async start(): Promise<{ redirectTo: string; browser: string }> {
    const config = await this.configuration();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const browser = randomBytes(32).toString('base64url');
    await this.deps.store.insertLogin({ stateHash: hash(state), browserHash: hash(browser), nonce, codeVerifier, expiresAt: this.deps.now() + LOGIN_TTL_MS });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri, scope: 'openid profile email', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
    });
    return { redirectTo: url.href, browser };
  }

  /** The provider's answer: the user's subject and role, or why they may not sign in. */
  async finish(query: URLSearchParams, browser: string | undefined): Promise<{ subject: string; role: TokenRole } | { refused: string }> {
    const error = query.get('error');
    if (error !== null) return { refused: `The OpenID provider refused the sign-in (${error.slice(0, 100)}): ${(query.get('error_description') ?? '').slice(0, 300)}` };
    const state = query.get('state') ?? '';
    const login = state === '' ? undefined : await this.deps.store.takeLogin(hash(state), this.deps.now());
    if (login === undefined || browser === undefined || login.browserHash !== hash(browser)) {
      return { refused: 'This sign-in is unknown, was already used, expired, or was started in another browser; start again from the sign-in page.' };
    }
    const config = await this.configuration();
    const callback = new URL(this.settings.redirectUri);
    callback.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: login.codeVerifier, expectedState: state, expectedNonce: login.nonce, idTokenExpected: true });
    } catch (err) {
      return { refused: `The OpenID provider's answer did not check out (${(err as Error).message.slice(0, 200)}); start again from the sign-in page.` };
    }
    const claims = tokens.claims();
    if (claims === undefined) return { refused: 'The OpenID provider sent no ID token' };
    let groups = claims[this.settings.groupsClaim];
    if (groups === undefined) groups = (await client.fetchUserInfo(config, tokens.access_token, claims.sub))[this.settings.groupsClaim];
    const member = Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [];
    const role = Object.entries(this.settings.roleMap).find(([group]) => member.includes(group))?.[1];
    const name = typeof claims.preferred_username === 'string' ? claims.preferred_username : claims.sub;
    if (role === undefined || !isTokenRole(role)) {
      const mapped = Object.keys(this.settings.roleMap).join(', ');
      return { refused: `${name} is signed in at the provider but in none of the groups the console maps to a role (${mapped}); ask an administrator to add you to one, or to map one of your groups in console.oidc.roleMap.` };
    }
    return { subject: `oidc:${claims.sub}`, role };
  }
}
