import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, ENV_KEYS, loadConfig } from './load.ts';
import { configSchema } from './schema.ts';

const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

function keyPaths(shape: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([k, v]) => {
    const inner = (v as { unwrap?: () => unknown }).unwrap?.() ?? v;
    const nested = (inner as { shape?: Record<string, unknown> }).shape;
    const isLimit = nested !== undefined && 'limit' in nested;
    return nested !== undefined && !isLimit ? keyPaths(nested, `${prefix}${k}.`) : [`${prefix}${k}`];
  });
}

test('every config key and environment variable is documented', () => {
  const keys = keyPaths(configSchema.shape as unknown as Record<string, unknown>);
  assert.ok(keys.length > 40);
  for (const key of keys) assert.ok(doc.includes(`| \`${key}\` |`), `docs/configuration.md does not document ${key}`);
  for (const name of Object.keys(ENV_KEYS)) assert.ok(doc.includes(`| \`${name}\` |`), `docs/configuration.md does not document ${name}`);
});

test('defaults load, and environment overrides them with typed values', () => {
  const c = loadConfig({ env: { CERTAINTY_HTTP01_PORT: '5002', CERTAINTY_TLS: 'off', CERTAINTY_POLICY_ALLOWED_DOMAINS: 'a.test, b.test' } });
  assert.equal(c.validation.http01Port, 5002);
  assert.equal(c.tls.enabled, false);
  assert.deepEqual(c.policy.allowedDomains, ['a.test', 'b.test']);
  assert.equal(c.listen, '127.0.0.1:8443');
});

test('file, then environment, then flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:1000', validation: { timeoutMs: 1234 } }));
  const c = loadConfig({ file, env: { CERTAINTY_LISTEN: '127.0.0.1:2000' }, overrides: [['validation.timeoutMs', '99']] });
  assert.equal(c.listen, '127.0.0.1:2000');
  assert.equal(c.validation.timeoutMs, 99);
});

test('unknown keys and bad values are rejected naming the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ validation: { http01port: 80 } }));
  assert.throws(() => loadConfig({ file, env: {} }), (e: Error) => e instanceof ConfigError && /validation.*http01port/.test(e.message));
  assert.throws(() => loadConfig({ env: { CERTAINTY_HTTP01_PORT: 'eighty' } }), /validation.http01Port must be a number/);
  assert.throws(() => loadConfig({ env: { CERTAINTY_LISTEN: 'nowhere' } }), /listen: expected host:port/);
  assert.throws(() => loadConfig({ env: {}, overrides: [['policy.defaultValidityDays', '500']] }), /defaultValidityDays/);
  assert.throws(() => loadConfig({ file: join(dir, 'missing.json'), env: {} }), /cannot read config file/);
});
