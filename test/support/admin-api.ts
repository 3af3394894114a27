// Every admin API answer a test receives is checked against docs/openapi.json: the operation the
// server would route the request to (the document keeps the routes' order and their patterns in
// x-certainty-path), its success schema, or the problem document for any other status. A mismatch
// fails the test that made the call, naming the route, the status and what the schema said.
import type { IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { AcmeResponse, AcmeTransport } from '../../src/acme-client/client.ts';

interface Operation {
  'x-certainty-path': string;
  responses: Record<string, { content?: Record<string, unknown> }>;
}
interface Document { paths: Record<string, Record<string, Operation>> }

const DOC_ID = 'openapi.json';
const doc = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as Document;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(doc, DOC_ID);

const compiled = new Map<string, ValidateFunction>();
const pointer = (...parts: string[]): string => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

function validator(ref: string): ValidateFunction {
  let v = compiled.get(ref);
  if (v === undefined) {
    v = ajv.compile({ $ref: `${DOC_ID}#/${ref}` });
    compiled.set(ref, v);
  }
  return v;
}

/** The operation the server routes `method path` to: the first whose pattern matches, in route order. */
function operationOf(method: string, path: string): { template: string; op: Operation } | undefined {
  for (const [template, item] of Object.entries(doc.paths)) {
    const op = item[method.toLowerCase()];
    if (op !== undefined && new RegExp(op['x-certainty-path']).test(path)) return { template, op };
  }
  return undefined;
}

/** Throws when the answer to `method url` does not match docs/openapi.json; not an admin path: nothing to check. */
export function checkAdminResponse(method: string, url: string, res: { status: number; headers: IncomingHttpHeaders; text: string }): void {
  const path = new URL(url).pathname;
  if (!path.startsWith('/admin/') && path !== '/metrics') return;
  const found = operationOf(method, path);
  const where = `${method} ${path}${found ? ` (${found.template})` : ''} answered ${res.status}`;
  const type = String(res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const documented = found?.op.responses[String(res.status)];
  let ref: string;
  if (found !== undefined && documented !== undefined) {
    const content = documented.content ?? {};
    if (!(type in content)) throw new Error(`${where} with content type "${type}", but docs/openapi.json lists ${Object.keys(content).join(', ') || 'none'}`);
    if (type !== 'application/json') return;
    ref = pointer('paths', found.template, method.toLowerCase(), 'responses', String(res.status), 'content', 'application/json', 'schema');
  } else {
    if (type !== 'application/problem+json') throw new Error(`${where}, a status docs/openapi.json does not list, with "${type}" instead of a problem document`);
    ref = pointer('components', 'schemas', 'Problem');
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new Error(`${where} with a body that is not JSON: ${res.text.slice(0, 200)}`);
  }
  const validate = validator(ref);
  if (!validate(body)) throw new Error(`${where}, which does not match docs/openapi.json: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
}

/** `transport.request` for the admin API, its answer checked against docs/openapi.json. */
export async function adminRequest(t: AcmeTransport, method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<AcmeResponse> {
  const res = await t.request(method, url, body, headers);
  checkAdminResponse(method, url, res);
  return res;
}
