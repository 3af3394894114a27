/**
 * Reading an apply file: YAML or JSON text, then its secret sources. A secret is never required
 * inline: `{ secretEnv: NAME }` and `{ secretFile: /path }` stand for a value anywhere one is
 * expected, and an issuer's `hmacFile`, `hmacEnv` and `trustFile` for `hmac` and `trust`. Only the
 * CLI reads files and environment variables (on the operator's machine); the admin API refuses
 * them, so a request can never make the server read its own files.
 */
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../errors.ts';
import type { ApplyDocument } from './apply-plan.ts';

/** Where `secretEnv`, `secretFile` and the `…File`/`…Env` keys are read from. */
export interface SecretSources {
  env: (name: string) => string | undefined;
  /** The file's text; throws when it cannot be read. */
  file: (path: string) => string;
}

type Path = ReadonlyArray<PropertyKey>;

/** `['managed', 2, 'targets', 0, 'path']` as `managed[2].targets[0].path`. */
export function pathText(path: Path): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out === '' ? String(p) : `${out}.${String(p)}`), '');
}

/** A zod issue as `path: message`, a missing field as `required`. */
export function issueText(prefix: Path, issue: z.core.$ZodIssue): string {
  const message = /expected [\w ]+, received undefined$/.test(issue.message) ? 'required' : issue.message;
  return `${pathText([...prefix, ...issue.path])}: ${message}`;
}

const malformed = (path: Path, what: string): AppError => new AppError('malformed', `${pathText(path)}: ${what}`);

/** The text as a document: JSON is YAML too, so one parser reads both; duplicate keys are refused. */
export function parseApplyText(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [first] = doc.errors;
  if (first !== undefined) throw new AppError('malformed', `${file}: ${first.message.split('\n')[0] ?? 'not YAML or JSON'}`);
  return doc.toJS() as unknown;
}

const FROM_FILE: Readonly<Record<string, string>> = { hmacFile: 'hmac', trustFile: 'trust' };
const FROM_ENV: Readonly<Record<string, string>> = { hmacEnv: 'hmac' };
const trimmed = (s: string): string => s.replace(/\r?\n$/, '');

function fromFile(sources: SecretSources | undefined, path: Path, file: unknown): string {
  if (sources === undefined) throw malformed(path, 'the admin API does not read files; send the value itself, or run certainty apply -f on a machine that has the file');
  if (typeof file !== 'string' || !file.startsWith('/')) throw malformed(path, 'expected an absolute file path');
  try {
    return sources.file(file);
  } catch (err) {
    throw malformed(path, `cannot read ${file}: ${(err as Error).message}`);
  }
}

function fromEnv(sources: SecretSources | undefined, path: Path, name: unknown): string {
  if (sources === undefined) throw malformed(path, 'the admin API does not read environment variables; send the value itself, or run certainty apply -f');
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw malformed(path, 'expected the name of an environment variable');
  const value = sources.env(name);
  if (value === undefined || value === '') throw malformed(path, `the environment variable ${name} is not set; export it before running certainty apply`);
  return value;
}

function resolveObject(value: Record<string, unknown>, path: Path, sources: SecretSources | undefined): unknown {
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'secretEnv') return fromEnv(sources, [...path, 'secretEnv'], value.secretEnv);
  if (keys.length === 1 && keys[0] === 'secretFile') return trimmed(fromFile(sources, [...path, 'secretFile'], value.secretFile));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const target = FROM_FILE[k] ?? FROM_ENV[k] ?? k;
    if (target !== k && value[target] !== undefined) throw malformed([...path, k], `give either ${target} or ${k}, not both`);
    if (FROM_FILE[k] !== undefined) out[target] = k === 'trustFile' ? fromFile(sources, [...path, k], v) : trimmed(fromFile(sources, [...path, k], v));
    else if (FROM_ENV[k] !== undefined) out[target] = fromEnv(sources, [...path, k], v);
    else out[k] = resolveSources(v, [...path, k], sources);
  }
  return out;
}

/** The document with every secret source replaced by its value; errors name the path. */
export function resolveSources(value: unknown, path: Path, sources: SecretSources | undefined): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveSources(v, [...path, i], sources));
  if (value !== null && typeof value === 'object') return resolveObject(value as Record<string, unknown>, path, sources);
  return value;
}

/** The top level: only the sections some applier reads, each a list (empty when it names none). */
export function checkSections(doc: unknown, sections: readonly string[]): ApplyDocument {
  const known = `an apply file holds ${sections.join(', ')}`;
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new AppError('malformed', `the file must be a mapping: ${known}`);
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!sections.includes(k)) throw malformed([k], `unknown section; ${known}`);
    if (v === null) {
      out[k] = [];
      continue;
    }
    if (!Array.isArray(v)) throw malformed([k], 'expected a list');
    out[k] = v;
  }
  return out;
}
