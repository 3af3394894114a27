/**
 * The webhook target: POST the new certificate as JSON, signed so the receiver knows it came from
 * Certainty and is fresh: `X-Certainty-Signature: sha256=<hex HMAC-SHA256(key, timestamp + "." + body)>`
 * with `X-Certainty-Timestamp` (seconds since the epoch), like Stripe's and Slack's signatures.
 * The private key is sent only when the target says `includePrivateKey: true`.
 */
import { createHmac } from 'node:crypto';
import { AppError } from '../../errors.ts';
import { httpRequest } from '../../http-client.ts';
import type { CertificateMaterial, DeployDeps, DeployOutcome, WebhookTarget } from './types.ts';

/** The JSON body a receiver gets. */
export interface WebhookPayload {
  readonly event: 'certificate.deployed';
  readonly name: string;
  readonly names: readonly string[];
  readonly serial: string;
  readonly fingerprint256: string;
  /** ISO 8601. */
  readonly notAfter: string;
  readonly certPem: string;
  readonly chainPem: string;
  readonly keyPem?: string;
}

export function webhookPayload(spec: Pick<WebhookTarget, 'includePrivateKey'>, m: CertificateMaterial): WebhookPayload {
  const base = {
    event: 'certificate.deployed' as const,
    name: m.name,
    names: m.names,
    serial: m.serial,
    fingerprint256: m.fingerprint256,
    notAfter: new Date(m.notAfter).toISOString(),
    certPem: m.certPem,
    chainPem: m.chainPem,
  };
  return spec.includePrivateKey === true ? { ...base, keyPem: m.keyPem } : base;
}

/** The signature header's value for `body` sent at `timestamp` (seconds). */
export function webhookSignature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Sends the payload. A 2xx is success; the receiver may answer `{"changed": false}` when it
 * already had this revision (it can tell by `X-Certainty-Delivery`, the leaf's fingerprint).
 */
export async function deployWebhook(spec: WebhookTarget, material: CertificateMaterial, deps: DeployDeps): Promise<DeployOutcome> {
  if (deps.secret === undefined) throw new AppError('deployFailed', 'webhook target: no secrets store to look up its secretRef; store the HMAC key first');
  const key = await deps.secret(spec.secretRef);
  const body = JSON.stringify(webhookPayload(spec, material));
  const timestamp = String(Math.floor(deps.now() / 1000));
  const url = new URL(spec.url);
  const where = `${url.origin}${url.pathname}`;
  const res = await httpRequest(url, {
    method: 'POST',
    body,
    timeoutMs: spec.timeoutMs ?? 10_000,
    ...(spec.trust === undefined ? {} : { ca: spec.trust }),
    headers: {
      ...spec.headers,
      'Content-Type': 'application/json',
      'X-Certainty-Timestamp': timestamp,
      'X-Certainty-Signature': webhookSignature(key, timestamp, body),
      'X-Certainty-Delivery': material.fingerprint256,
    },
  }).catch((err: unknown) => {
    throw new AppError('deployFailed', `webhook ${where} could not be reached: ${(err as Error).message}`, { cause: err });
  });
  if (res.status < 200 || res.status > 299) {
    const said = res.body.toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 200);
    throw new AppError('deployFailed', `webhook ${where} answered ${res.status}${said === '' ? '' : `: ${said}`}; the receiver must answer 2xx once it has the certificate`);
  }
  const unchanged = answeredUnchanged(res.body);
  return { changed: !unchanged, detail: `webhook ${where} ${unchanged ? 'already had' : 'accepted'} serial ${material.serial} (${res.status})` };
}

function answeredUnchanged(body: Buffer): boolean {
  try {
    return (JSON.parse(body.toString('utf8')) as { changed?: unknown }).changed === false;
  } catch {
    return false;
  }
}
