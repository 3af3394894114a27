// Every admin route names its permission, and docs/admin-api.md says the same: each route has a row
// with that permission, and the roles table lists exactly the permissions of src/admin/roles.ts.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PERMISSIONS, ROLE_PERMISSIONS, TOKEN_ROLES } from '../admin/roles.ts';
import { adminRoutes, type AdminDeps } from './admin-routes.ts';
import { drillReportRoutes } from './drill-report-routes.ts';
import { lifecycleRoutes } from './lifecycle-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { notifyRoutes } from './notify-routes.ts';
import { secretsRoutes } from './secrets-routes.ts';
import { sshRoutes } from './ssh-routes.ts';
import { opsRoutes } from './ops-routes.ts';
import { probeRoutes } from './probe-routes.ts';

const doc = readFileSync(new URL('../../docs/admin-api.md', import.meta.url), 'utf8');

/** The routes a node serves, built on stand-ins: only their method, path and permission are read here. */
function everyRoute() {
  const none = {} as never;
  return adminRoutes({ routes: [...metricsRoutes(none), ...sshRoutes(none), ...secretsRoutes(none), ...lifecycleRoutes(none), ...probeRoutes(none), ...notifyRoutes(none), ...opsRoutes(none), ...drillReportRoutes(undefined)] } as unknown as AdminDeps);
}

/** The endpoint table's rows: every `METHOD /path` in the first cell, with the permissions in the second. */
function documentedEndpoints(): Array<{ method: string; path: string; permissions: string[] }> {
  return doc.split('\n').filter((l) => /^\| `(GET|POST|PUT|PATCH|DELETE) \//.test(l)).flatMap((line) => {
    const [first = '', second = ''] = line.slice(2).split(' | ');
    const permissions = [...second.matchAll(/`([\w.-]+)`/g)].map((m) => m[1] as string);
    return [...first.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`\s]*)`/g)].map((m) => ({ method: m[1] as string, path: m[2] as string, permissions }));
  });
}

/** A concrete path for a documented pattern: placeholders become plausible values. */
const sample = (path: string): string => path.replace(/\?.*$/, '').replace(/\{path\}/g, 'app/db').replace(/\{(\w+)\}/g, (_, name: string) => (name === 'serial' ? '0a1b' : `x-${name}`));

test('every admin route is documented in docs/admin-api.md with the permission it needs', () => {
  const documented = documentedEndpoints();
  assert.ok(documented.length > 40, `only ${documented.length} endpoints found in docs/admin-api.md`);
  const routes = everyRoute();
  for (const route of routes) {
    assert.ok((PERMISSIONS as readonly string[]).includes(route.permission), `${route.method} ${route.path.source}: unknown permission ${route.permission}`);
    const rows = documented.filter((d) => d.method === route.method && route.path.test(sample(d.path)));
    assert.ok(rows.length > 0, `${route.method} ${route.path.source} has no row in docs/admin-api.md`);
    for (const row of rows) assert.ok(row.permissions.includes(route.permission), `${row.method} ${row.path} is documented with ${row.permissions.join(', ')}, but needs ${route.permission}`);
  }
  for (const d of documented) {
    assert.ok(routes.some((r) => r.method === d.method && r.path.test(sample(d.path))), `docs/admin-api.md documents ${d.method} ${d.path}, which no route serves`);
  }
});

test('the roles table of docs/admin-api.md lists each role\'s permissions as src/admin/roles.ts grants them', () => {
  for (const role of TOKEN_ROLES) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${role}\``));
    assert.ok(row, `no row for role ${role}`);
    const cell = row.split(' | ')[1] ?? '';
    const listed = cell === 'all' ? [...PERMISSIONS] : [...cell.matchAll(/`([\w.-]+)`/g)].map((m) => m[1]);
    assert.deepEqual([...listed].sort(), [...ROLE_PERMISSIONS[role]].sort(), `role ${role}`);
  }
});
