import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DOC_BEGIN, DOC_END, metricDocs, metricsTable, replaceGenerated } from './doc.ts';

const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
const FIX = 'run "npm run docs:metrics" to regenerate docs/metrics.md';

test('every metric in the registry is in docs/metrics.md with its type, labels and help', async () => {
  const rows = doc.split('\n');
  for (const d of await metricDocs()) {
    const row = rows.find((l) => l.startsWith(`| \`${d.name}\` |`));
    assert.ok(row, `docs/metrics.md has no row for ${d.name}; ${FIX}`);
    assert.equal(row, metricsTable([d]).split('\n').find((l) => l.startsWith(`| \`${d.name}\` |`)), `${d.name}: its row differs from the code; ${FIX}`);
  }
});

test('docs/metrics.md lists no certainty_ metric the code does not export', async () => {
  const names = new Set((await metricDocs()).map((d) => d.name));
  const generated = doc.slice(doc.indexOf(DOC_BEGIN), doc.indexOf(DOC_END));
  for (const m of generated.matchAll(/^\| `(certainty_\w+)` \|/gm)) assert.ok(names.has(m[1] as string), `${m[1]} is documented but not exported; ${FIX}`);
});

test('metric names follow the conventions: prefix, _total counters, no unit-less timestamps', async () => {
  for (const d of (await metricDocs()).filter((x) => x.scope !== 'process')) {
    assert.match(d.name, /^certainty_[a-z0-9_]+$/, d.name);
    assert.equal(d.type === 'counter', d.name.endsWith('_total'), `${d.name}: counters, and only counters, end in _total`);
    if (d.name.includes('timestamp')) assert.ok(d.name.endsWith('_timestamp_seconds'), d.name);
  }
});

test('regenerating keeps the hand-written text around the table', () => {
  const out = replaceGenerated(`before\n${DOC_BEGIN}\nold\n${DOC_END}\nafter\n`, 'TABLE');
  assert.equal(out, 'before\nTABLE\nafter\n');
  assert.throws(() => replaceGenerated('no markers', 'TABLE'), /no generated section/);
});
