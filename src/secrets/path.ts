import { AppError } from '../errors.ts';
import type { SecretData } from './types.ts';

const MAX_PATH_LENGTH = 512;
const MAX_SEGMENT_LENGTH = 128;
/** The whole value of a version (field names and values, UTF-8). */
export const MAX_VALUE_BYTES = 64 * 1024;
const MAX_FIELDS = 100;
const FIELD = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const SEGMENT = /^[A-Za-z0-9_.@+=,:-]+$/;

const malformed = (detail: string): AppError => new AppError('malformed', detail);

/**
 * Checks a secret path such as `cluster/db/replication`: segments of letters, digits and `_ . @ + =
 * , : -`, no `..` or `.` segment, no empty segment (leading, trailing or doubled `/`), no control
 * characters, at most 512 characters. The path is echoed in errors only once it is safe to print.
 */
export function checkPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw malformed('A secret path is required, e.g. "cluster/db/password"');
  if (path.length > MAX_PATH_LENGTH) throw malformed(`A secret path is at most ${MAX_PATH_LENGTH} characters (this one has ${path.length})`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw malformed('A secret path must not contain control characters');
  const segments = path.split('/');
  if (segments.some((s) => s === '')) throw malformed(`The secret path "${path}" has an empty segment: no leading, trailing or doubled "/"`);
  for (const s of segments) {
    if (s === '.' || s === '..') throw malformed(`The secret path "${path}" has a "${s}" segment; paths are names, not file paths`);
    if (s.length > MAX_SEGMENT_LENGTH) throw malformed(`Each segment of a secret path is at most ${MAX_SEGMENT_LENGTH} characters`);
    if (!SEGMENT.test(s)) throw malformed(`The secret path "${path}" has a character outside letters, digits and _ . @ + = , : -`);
  }
  return path;
}

/** Checks a listing prefix: empty (everything) or a path, optionally ending in "/". */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return '';
  return prefix.endsWith('/') ? `${checkPath(prefix.slice(0, -1))}/` : checkPath(prefix);
}

/** Checks a version's fields: names like identifiers, string values, at most 64 KiB in all; the value is never echoed. */
export function checkData(data: unknown): SecretData {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw malformed('"data" must be an object of field names to string values, e.g. {"password": "…"}');
  const entries = Object.entries(data);
  if (entries.length === 0) throw malformed('"data" must have at least one field');
  if (entries.length > MAX_FIELDS) throw malformed(`"data" has ${entries.length} fields; at most ${MAX_FIELDS}`);
  let bytes = 0;
  for (const [name, value] of entries) {
    if (!FIELD.test(name)) throw malformed(`The field name "${name.slice(0, 64)}" must start with a letter or "_" and hold only letters, digits and _ . -`);
    if (typeof value !== 'string') throw malformed(`The field "${name}" must be a string`);
    if (value.includes('\u0000')) throw malformed(`The field "${name}" contains a NUL character, which no shell or environment can carry`);
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (bytes > MAX_VALUE_BYTES) throw malformed(`The value is ${bytes} bytes; a version holds at most ${MAX_VALUE_BYTES} bytes`);
  return Object.fromEntries(entries) as SecretData;
}
