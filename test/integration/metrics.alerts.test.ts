// The alert rules Certainty ships (docs/alerts.yml), checked and unit-tested by Debian's promtool.
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../support/run.ts';

const root = new URL('../..', import.meta.url).pathname;

test('promtool accepts docs/alerts.yml', async () => {
  const r = await run('promtool', ['check', 'rules', 'docs/alerts.yml'], { cwd: root });
  assert.match(r.stdout, /SUCCESS: \d+ rules found/);
});

test('every shipped alert fires on its failure and stays quiet otherwise (promtool test rules)', async () => {
  const r = await run('promtool', ['test', 'rules', 'test/integration/fixtures/alerts.test.yml'], { cwd: root, timeoutMs: 60_000 });
  assert.match(r.stdout, /SUCCESS/);
});

test('every alert in docs/alerts.yml has a unit test', async () => {
  const rules = await readFile(join(root, 'docs/alerts.yml'), 'utf8');
  const tests = await readFile(join(root, 'test/integration/fixtures/alerts.test.yml'), 'utf8');
  const alerts = [...rules.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1] as string);
  assert.ok(alerts.length >= 8, `found ${alerts.length} alerts`);
  for (const a of alerts) assert.match(tests, new RegExp(`alertname: ${a}\\n\\s+exp_alerts:`), `${a} has no test where it fires`);
});
