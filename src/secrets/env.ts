import { AppError } from '../errors.ts';
import type { SecretData } from './types.ts';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quotes `value` for a POSIX shell: inside single quotes nothing is special, and `'` is written `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * An env file a shell can source (`set -a; . ./file`): one `NAME='value'` per field, in field
 * order, `prefix` before each name. Values round-trip exactly, `$`, backticks, quotes, spaces and
 * newlines included; a field whose name is no shell variable name is refused, not mangled.
 */
export function envFile(data: SecretData, prefix = ''): string {
  let out = '';
  for (const [field, value] of Object.entries(data)) {
    const name = `${prefix}${field}`;
    if (!NAME.test(name)) throw new AppError('malformed', `The field "${field}" makes "${name}", which is not a shell variable name (letters, digits and "_"); read it with --field, or as JSON`);
    out += `${name}=${shellQuote(value)}\n`;
  }
  return out;
}
