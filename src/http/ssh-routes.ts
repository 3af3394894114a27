import type { AcmeResponse } from '../acme/context.ts';
import { parseDuration } from '../duration.ts';
import { AppError } from '../errors.ts';
import type { SshService } from '../ssh/service.ts';
import { isSshCaAlgorithm } from '../ssh/signer.ts';
import type { SignRequest } from '../ssh/sign.ts';
import type { SshCertKind } from '../ssh/certificate.ts';
import { callerAllows } from '../admin/roles.ts';
import { needs, ok, type AdminRequest, type AdminRoute } from './admin-routes.ts';
import type { PublicRoute } from './side-routes.ts';
import * as S from './ssh-schemas.ts';
import { z } from 'zod';

const malformed = (detail: string): AppError => new AppError('malformed', detail);

function kindOf(v: unknown, required: boolean): SshCertKind | undefined {
  if (v === undefined && !required) return undefined;
  if (v !== 'user' && v !== 'host') throw malformed('"kind" must be "user" or "host"');
  return v;
}

function optionalStrings(body: Record<string, unknown>, key: string): string[] | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw malformed(`"${key}" must be a list of strings`);
  return v as string[];
}

function ttlOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw malformed('"ttl" must be a duration such as "8h"');
  try {
    return parseDuration(v);
  } catch (err) {
    throw malformed((err as Error).message);
  }
}

/** The sign request from a JSON body; the role decides what is allowed. */
function signRequestOf(body: Record<string, unknown>): SignRequest {
  if (typeof body.role !== 'string') throw malformed('"role" must name an SSH role');
  if (typeof body.publicKey !== 'string') throw malformed('"publicKey" must be the public key line (the content of the .pub file)');
  const principals = optionalStrings(body, 'principals');
  const extensions = optionalStrings(body, 'extensions');
  const ttlMs = ttlOf(body.ttl);
  const options = body.criticalOptions;
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) throw malformed('"criticalOptions" must be an object of option name to text');
  return {
    role: body.role, publicKey: body.publicKey, ...(principals ? { principals } : {}), ...(extensions ? { extensions } : {}), ...(ttlMs === undefined ? {} : { ttlMs }),
    ...(options === undefined ? {} : { criticalOptions: options as Record<string, string> }),
  };
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v !== undefined && typeof v !== 'string') throw malformed(`"${key}" must be text`);
  return v;
}

/** The SSH CA's admin API under /admin/ssh (docs/admin-api.md). Signing takes any token the role grants. */
export function sshRoutes(ssh: SshService): AdminRoute[] {
  const read = needs('ssh.read');
  const manage = needs('ssh.manage');
  const actor = (req: AdminRequest): string => `token:${req.caller.tokenId}`;
  return [
    read('GET', /^\/admin\/ssh\/cas$/, async () => ok(await ssh.listCas()), { summary: 'SSH CAs with their public keys and status', response: z.array(S.sshCaSchema) }),
    manage('POST', /^\/admin\/ssh\/cas$/, async (req) => {
      const body = await req.json();
      const algorithm = body.algorithm ?? 'ed25519';
      if (typeof algorithm !== 'string' || !isSshCaAlgorithm(algorithm)) throw malformed('"algorithm" must be ed25519, ecdsa-p256, ecdsa-p384, rsa-3072 or rsa-4096');
      return ok(await ssh.createCa(kindOf(body.kind, true) as SshCertKind, algorithm, actor(req)), 201);
    }, { summary: 'Add an SSH CA (active if first of its kind, else standby)', request: S.sshCaCreateRequest, status: 201, response: S.sshCaSchema }),
    manage('POST', /^\/admin\/ssh\/cas\/rotate$/, async (req) => ok(await ssh.rotateCa(kindOf((await req.json()).kind, true) as SshCertKind, actor(req))), { summary: 'Rotate the SSH CA of a kind', request: S.sshCaRotateRequest, response: S.sshRotateSchema }),
    manage('POST', /^\/admin\/ssh\/cas\/([\w-]+)\/retire$/, async (req) => ok(await ssh.retireCa(req.params[0] as string, actor(req))), { summary: 'Retire an SSH CA', template: '/admin/ssh/cas/{id}/retire', response: S.sshCaSchema }),
    read('GET', /^\/admin\/ssh\/roles$/, async () => ok(await ssh.roles()), { summary: 'SSH roles', response: z.array(S.sshRoleSchema) }),
    read('GET', /^\/admin\/ssh\/roles\/([\w.-]+)$/, async (req) => ok(await ssh.role(req.params[0] as string)), { summary: 'One SSH role', template: '/admin/ssh/roles/{name}', response: S.sshRoleSchema }),
    manage('PUT', /^\/admin\/ssh\/roles\/([\w.-]+)$/, async (req) => ok(await ssh.putRole(req.params[0] as string, await req.json(), actor(req))), { summary: 'Create or replace an SSH role', template: '/admin/ssh/roles/{name}', request: S.sshRoleRequest, response: S.sshRoleSchema }),
    manage('DELETE', /^\/admin\/ssh\/roles\/([\w.-]+)$/, async (req) => {
      await ssh.deleteRole(req.params[0] as string, actor(req));
      return ok({ deleted: req.params[0] });
    }, { summary: 'Delete an SSH role', template: '/admin/ssh/roles/{name}', response: z.object({ deleted: z.string() }) }),
    needs('ssh.sign')('POST', /^\/admin\/ssh\/sign$/, async (req) => ok(await ssh.sign(signRequestOf(await req.json()), await ssh.requester({ tokenId: req.caller.tokenId, anyRole: callerAllows(req.caller, 'ssh.any-role') })), 201), {
      summary: 'Sign an SSH certificate with a role that lists the token', request: S.sshSignRequest, status: 201, response: S.sshSignedSchema,
    }),
    read('GET', /^\/admin\/ssh\/certificates$/, async () => ok(await ssh.certificates(1000)), { summary: 'Signed SSH certificates, newest first (1000)', response: z.array(S.sshCertSchema) }),
    read('GET', /^\/admin\/ssh\/status$/, async () => ok(await ssh.counts()), { summary: 'Counts of signed, revoked certificates and revocations', response: S.sshCountsSchema }),
    manage('POST', /^\/admin\/ssh\/revoke$/, async (req) => {
      const b = await req.json();
      const pick = (k: string): Record<string, string> => { const v = stringField(b, k); return v === undefined ? {} : { [k]: v }; };
      return ok(await ssh.revoke({ ...pick('serial'), ...pick('keyId'), ...pick('publicKey'), ...pick('reason') }, actor(req)));
    }, { summary: 'Revoke SSH certificates by serial, key id or public key; the KRL is rebuilt', request: S.sshRevokeRequest, response: S.sshRevocationSchema }),
    read('POST', /^\/admin\/ssh\/explain$/, async (req) => {
      const b = await req.json();
      const certificate = stringField(b, 'certificate');
      if (certificate === undefined) throw malformed('"certificate" must be the certificate line (the content of the -cert.pub file)');
      const principal = stringField(b, 'principal');
      const at = stringField(b, 'at');
      const atMs = at === undefined ? undefined : Date.parse(at);
      if (atMs !== undefined && Number.isNaN(atMs)) throw malformed('"at" must be an ISO 8601 time');
      return ok(await ssh.explain(certificate, { ...(principal === undefined ? {} : { principal }), ...(atMs === undefined ? {} : { at: atMs }) }));
    }, { summary: 'Whether sshd would accept a certificate, check by check', request: S.sshExplainRequest, response: S.sshExplainSchema }),
  ];
}

/** `GET /ssh/krl` (conditional on its ETag), `POST /ssh/renew` (host proof of possession) and `GET /ssh/ca.pub` (`?kind=user|host`, `&hosts=PATTERN`), unauthenticated. */
export function sshPublicRoutes(ssh: SshService): PublicRoute[] {
  return [
    {
      path: /^\/ssh\/krl$/,
      async handle(_params, _url, headers): Promise<AcmeResponse> {
        const krl = await ssh.krl();
        const etag = `"krl-${krl.generation}"`;
        const cache = { ETag: etag, 'Cache-Control': 'max-age=60' };
        if (headers['if-none-match'] === etag) return { status: 304, headers: cache };
        return { status: 200, headers: cache, raw: { contentType: 'application/octet-stream', body: krl.krl } };
      },
    },
    {
      // Host renewal: the body's signature by the certified key is the authentication (docs/ssh.md).
      path: /^\/ssh\/renew$/,
      method: 'POST',
      async handle(_params, _url, _headers, body): Promise<AcmeResponse> {
        let parsed: unknown;
        try {
          parsed = JSON.parse((await body()).toString('utf8'));
        } catch {
          throw malformed('The body must be JSON: { "certificate", "timestamp", "signature" }');
        }
        const b = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
        const [certificate, timestamp, signature] = [stringField(b, 'certificate'), stringField(b, 'timestamp'), stringField(b, 'signature')];
        if (certificate === undefined || timestamp === undefined || signature === undefined) throw malformed('"certificate", "timestamp" and "signature" are required');
        return { status: 201, json: await ssh.renewHost({ certificate, timestamp, signature }) };
      },
    },
    {
      path: /^\/ssh\/ca\.pub$/,
      async handle(_params, url): Promise<AcmeResponse> {
        const kind = kindOf(url.searchParams.get('kind') ?? undefined, false);
        const hosts = url.searchParams.get('hosts') ?? '*';
        if (!/^[\w.*?,!-]+$/.test(hosts)) throw malformed('"hosts" must be a known_hosts host pattern such as *.example.com');
        return { status: 200, headers: { 'Cache-Control': 'max-age=60' }, raw: { contentType: 'text/plain; charset=utf-8', body: await ssh.trustLines(kind, hosts) } };
      },
    },
  ];
}
