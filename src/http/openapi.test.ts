import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openApiDocument, openApiText, templateOf } from './openapi.ts';
import { everyAdminRoute } from './route-catalog.ts';

const FIX = 'run "npm run docs:openapi" to regenerate docs/openapi.json';

test('docs/openapi.json is the document the route tables generate', () => {
  const checkedIn = readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8');
  assert.ok(checkedIn === openApiText(everyAdminRoute()), `docs/openapi.json differs from the routes; ${FIX}`);
});

test('every admin route says what it answers, and its template has a name per capture group', () => {
  for (const route of everyAdminRoute()) {
    const where = `${route.method} ${route.path.source}`;
    assert.ok(route.summary, `${where} has no summary`);
    assert.ok(route.response !== undefined || route.text !== undefined, `${where} declares no response schema`);
    const groups = new RegExp(`${route.path.source}|`).exec('')?.length ?? 1;
    assert.equal((templateOf(route).match(/\{\w+\}/g) ?? []).length, groups - 1, `${where}: template ${templateOf(route)} does not name every capture group`);
  }
});

test('operation ids are unique and every operation names its permission and the problem answer', () => {
  const doc = openApiDocument(everyAdminRoute()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  assert.equal(new Set(ids).size, ids.length);
  for (const op of Object.values(doc.paths).flatMap((item) => Object.values(item))) {
    assert.match(String(op['x-certainty-permission']), /^[a-z]+\.[a-z-]+$/);
    assert.deepEqual((op.responses as Record<string, unknown>).default, { $ref: '#/components/responses/Problem' });
  }
});

test('a path without a template gets one from its pattern', () => {
  assert.equal(templateOf({ path: /^\/admin\/ssh\/cas$/ }), '/admin/ssh/cas');
  assert.equal(templateOf({ path: /^\/admin\/x\/([\w-]+)\/y\/(\d+)$/ }), '/admin/x/{param1}/y/{param2}');
  assert.equal(templateOf({ path: /^\/admin\/openapi\.json$/ }), '/admin/openapi.json');
});
