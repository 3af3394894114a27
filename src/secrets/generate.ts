import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.ts';
import { appendVersion, type Appended } from './append.ts';
import { rulesOf, type SecretDeps } from './deps.ts';
import { checkPath } from './path.ts';
import { CHARSETS, type CharsetName, type GeneratorSpec, type SecretCaller, type SecretData } from './types.ts';

const MIN_LENGTH = 8;
const MAX_LENGTH = 4096;

function isCharset(name: string): name is CharsetName {
  return Object.hasOwn(CHARSETS, name);
}

/** `length` characters drawn uniformly from `charset` (rejection sampling: no modulo bias). */
export function generateValue(charset: CharsetName, length: number, random: (n: number) => Buffer = randomBytes): string {
  const alphabet = CHARSETS[charset];
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of random(length * 2)) {
      if (b < limit && out.length < length) out += alphabet[b % alphabet.length];
    }
  }
  return out;
}

/** Checks a generator as the API and CLI give it: field name, length and charset. */
export function parseGenerator(input: { field?: unknown; length?: unknown; charset?: unknown }): GeneratorSpec {
  const field = input.field ?? 'value';
  const length = input.length ?? 32;
  const charset = input.charset ?? 'shell-safe';
  if (typeof field !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/.test(field)) throw new AppError('malformed', '"field" must start with a letter or "_" and hold only letters, digits and _ . -');
  if (typeof length !== 'number' || !Number.isInteger(length) || length < MIN_LENGTH || length > MAX_LENGTH) {
    throw new AppError('malformed', `"length" must be a whole number from ${MIN_LENGTH} to ${MAX_LENGTH}`);
  }
  if (typeof charset !== 'string' || !isCharset(charset)) throw new AppError('malformed', `"charset" must be one of ${Object.keys(CHARSETS).join(', ')}`);
  return { field, length, charset };
}

/**
 * Generates a value on the server and writes it as a new version of `path` (needs `create` or
 * `update`). The path remembers how, so `rotate` (on demand, or every `rotateEveryMs`) makes the
 * next one the same way. The value is not returned: read it like any other.
 */
export async function generateSecret(
  deps: SecretDeps, caller: SecretCaller, path: string, generator: GeneratorSpec, options: { cas?: number | undefined; rotateEveryMs?: number | undefined } = {},
): Promise<Appended> {
  checkPath(path);
  const rules = await rulesOf(deps, caller);
  return appendVersion(deps, caller, rules, {
    path, cas: options.cas, needsLatest: true, mustExist: false, action: 'secret.written', capability: 'update',
    settings: { generator, ...(options.rotateEveryMs === undefined ? {} : { rotateEveryMs: options.rotateEveryMs }) },
    data: (latest) => withGenerated(latest, generator),
  });
}

/** The latest fields with the generated one replaced (other fields, e.g. a user name, are kept). */
export function withGenerated(latest: SecretData | undefined, generator: GeneratorSpec): SecretData {
  return { ...(latest ?? {}), [generator.field]: generateValue(generator.charset, generator.length) };
}
