/**
 * The admin API as an OpenAPI 3.1 document, built from the route tables: each route's path,
 * permission and zod schemas (the same ones its handler validates with) become one operation.
 * Served at GET /admin/openapi.json; docs/openapi.json is the same document, checked in.
 */
import { z, type ZodType } from 'zod';
import { VERSION } from '../version.ts';
import type { AdminRoute } from './admin-routes.ts';

type Json = Record<string, unknown>;

/** RFC 7807, as src/http/problem.ts writes it. */
const problemSchema = z.object({
  type: z.string().meta({ description: 'urn:ietf:params:acme:error:… or urn:certainty:error:… (docs/errors.md)' }),
  detail: z.string(),
  status: z.number().int(),
  subproblems: z.array(z.object({ type: z.string(), detail: z.string(), identifier: z.object({ type: z.string(), value: z.string() }).optional() })).optional(),
  algorithms: z.array(z.string()).optional(),
});

/** zod bounds every integer by the safe range; said on every count it is noise. */
function dropSafeIntegerBounds(ctx: { jsonSchema: Json }): void {
  if (ctx.jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete ctx.jsonSchema.minimum;
  if (ctx.jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete ctx.jsonSchema.maximum;
}

/** A zod schema as JSON Schema 2020-12, without its `$schema` (the document's dialect applies). */
function jsonSchema(schema: ZodType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12', override: dropSafeIntegerBounds }) as Json;
  return rest;
}

/** `^\/admin\/ssh\/cas$` → `/admin/ssh/cas`; a capture group without a template becomes `{param1}`… */
export function templateOf(route: Pick<AdminRoute, 'path' | 'template'>): string {
  if (route.template !== undefined) return route.template;
  let n = 0;
  return route.path.source.replace(/^\^/, '').replace(/\$$/, '').replace(/\((?!\?)(?:[^()\\]|\\.)*\)/g, () => `{param${++n}}`).replace(/\\(.)/g, '$1');
}

function operationId(method: string, template: string): string {
  const words = template.split(/[^A-Za-z0-9]+/).filter((w) => w !== '' && w !== 'admin');
  return method.toLowerCase() + words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
}

function parameters(route: AdminRoute, template: string): Json[] {
  const inPath = [...template.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const shape = route.query?.shape ?? {};
  // Query parameters are all optional: a missing one takes the default the summary names.
  const inQuery = Object.entries(shape).map(([name, s]) => ({ name, in: 'query', required: false, schema: jsonSchema(s as ZodType, 'input') }));
  return [...inPath, ...inQuery];
}

function success(route: AdminRoute): Json {
  const content: Json = {};
  if (route.text === undefined || route.response !== undefined) content['application/json'] = { schema: route.response ? jsonSchema(route.response, 'output') : {} };
  if (route.text !== undefined) content[route.text] = { schema: { type: 'string' } };
  return { description: route.summary ?? 'success', content };
}

function operation(route: AdminRoute, template: string, ids: Set<string>): Json {
  let id = operationId(route.method, template);
  while (ids.has(id)) id += '_';
  ids.add(id);
  const tag = template.split('/').filter((s) => s !== '' && s !== 'admin')[0] ?? 'admin';
  return {
    operationId: id,
    ...(route.summary === undefined ? {} : { summary: route.summary }),
    tags: [tag],
    'x-certainty-permission': route.permission,
    'x-certainty-path': route.path.source,
    parameters: parameters(route, template),
    ...(route.request === undefined ? {} : { requestBody: { required: false, content: { 'application/json': { schema: jsonSchema(route.request, 'input') } } } }),
    responses: { [String(route.status ?? 200)]: success(route), default: { $ref: '#/components/responses/Problem' } },
  };
}

/** The OpenAPI 3.1 document of these routes, in their order (the order the server matches them in). */
export function openApiDocument(routes: readonly AdminRoute[]): Json {
  const paths: Record<string, Json> = {};
  const ids = new Set<string>();
  for (const route of routes) {
    const template = templateOf(route);
    paths[template] = { ...paths[template], [route.method.toLowerCase()]: operation(route, template, ids) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Certainty admin API', version: VERSION,
      description: 'Every endpoint needs a bearer token whose role has the permission in x-certainty-permission (docs/admin-api.md). Errors are RFC 7807 problem documents.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from "certainty token create"' } },
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
      responses: { Problem: { description: 'An RFC 7807 problem document (docs/errors.md)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } },
    },
  };
}

/** The document as docs/openapi.json holds it: two-space indents, a final newline. */
export function openApiText(routes: readonly AdminRoute[]): string {
  return `${JSON.stringify(openApiDocument(routes), null, 2)}\n`;
}
