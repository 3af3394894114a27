/**
 * Secret values inside deploy targets: a webhook's `headers` and an exec target's `env`. Inline
 * values are stored apart from the target, wrapped by the KEK as one blob per managed
 * certificate, and the stored target reads `(secret)` in their place, so readers (`managed
 * show`, the API, the audit log) see only the names. `{ "secret": "path#key" }` values name the
 * secrets store instead and stay as they are. A deploy reveals both.
 */
import { AppError } from '../errors.ts';
import type { Kek } from '../kek/kek.ts';
import type { DeclaredTarget, SecretValue, TargetSpec } from './deploy/types.ts';
import { targetSecretsAad } from './types.ts';

export const REDACTED = '(secret)';

/** Inline values by target index, then header or variable name. */
export type TargetSecrets = Record<string, Record<string, string>>;

function secretField(t: DeclaredTarget): 'env' | 'headers' | undefined {
  if (t.type === 'exec') return 'env';
  if (t.type === 'webhook') return 'headers';
  return undefined;
}

function valuesOf(t: DeclaredTarget): Record<string, SecretValue> | undefined {
  const field = secretField(t);
  return field === undefined ? undefined : (t as Record<string, unknown>)[field] as Record<string, SecretValue> | undefined;
}

function withValues<T extends DeclaredTarget>(t: T, values: Record<string, unknown>): T {
  const field = secretField(t);
  return field === undefined ? t : { ...t, [field]: values };
}

/** Splits targets into what is stored in the clear (inline values read `(secret)`) and the values to wrap. */
export function sealTargets(targets: readonly DeclaredTarget[]): { targets: DeclaredTarget[]; secrets: TargetSecrets } {
  const secrets: TargetSecrets = {};
  const sealed = targets.map((t, i) => {
    const values = valuesOf(t);
    if (values === undefined) return t;
    const inline = Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string');
    if (inline.length > 0) secrets[String(i)] = Object.fromEntries(inline);
    return withValues(t, Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? REDACTED : v])));
  });
  return { targets: sealed, secrets };
}

/** The wrapped blob to store, or undefined when no target holds an inline value. */
export function wrapTargetSecrets(kek: Kek, name: string, secrets: TargetSecrets): Buffer | undefined {
  if (Object.keys(secrets).length === 0) return undefined;
  return kek.wrap(Buffer.from(JSON.stringify(secrets), 'utf8'), targetSecretsAad(name));
}

export function unwrapTargetSecrets(kek: Kek, name: string, wrapped: Buffer | undefined): TargetSecrets {
  if (wrapped === undefined) return {};
  return JSON.parse(kek.unwrap(wrapped, targetSecretsAad(name)).toString('utf8')) as TargetSecrets;
}

/** Target `index` as its deploy needs it: inline values from `secrets`, references looked up in the secrets store. */
export async function revealTarget(
  target: DeclaredTarget, index: number, secrets: TargetSecrets, resolve: ((ref: string) => Promise<string>) | undefined,
): Promise<TargetSpec> {
  const values = valuesOf(target);
  if (values === undefined) return target as TargetSpec;
  const revealed: Record<string, string> = {};
  for (const [key, v] of Object.entries(values)) {
    if (typeof v !== 'string') {
      if (resolve === undefined) throw new AppError('deployFailed', `${key} names the secret ${v.secret}, but this node has no secrets store to read it from`);
      revealed[key] = await resolve(v.secret);
      continue;
    }
    // A value stored before values were wrapped apart is still in the target itself.
    const inline = secrets[String(index)]?.[key] ?? (v === REDACTED ? undefined : v);
    if (inline === undefined) throw new AppError('deployFailed', `the stored value of ${key} is missing; set the target again (managed remove and add, or certainty apply)`);
    revealed[key] = inline;
  }
  return withValues(target, revealed) as TargetSpec;
}
