import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyBucket, emptyFigures } from './report.ts';
import type { DrillReport, ScenarioResult, SecondBucket } from './report.ts';
import { renderHtml, renderTimelineSvg } from './report-html.ts';
import { renderTable } from './report-table.ts';

/** A steady load of 40 requests/s with `bad` seconds where errors, readyz and writes fail. */
function buckets(seconds: number, bad: (second: number) => boolean): SecondBucket[] {
  return Array.from({ length: seconds }, (_, i) => {
    const b = emptyBucket(i);
    b.requests = 40;
    b.ordersCompleted = 5;
    b.readyzOk = bad(i) ? 0 : 10;
    b.readyzFailed = bad(i) ? 10 : 0;
    b.errors = bad(i) ? 12 : 0;
    b.writesOk = bad(i) ? 1 : 4;
    b.writesFailed = bad(i) ? 3 : 0;
    return b;
  });
}

const nodeKill: ScenarioResult = {
  name: 'node-kill',
  title: 'One app node crashes (SIGKILL)',
  fault: 'SIGKILL to the app process on node 2 while it serves ACME traffic.',
  seeds: '10–20 s outage (active/passive container crash)',
  pass: true,
  startedAt: '2025-05-01T10:00:00.000Z',
  durationMs: 30_000,
  criteria: [
    { name: 'longest unavailability', target: '≤ 2 s', measured: '0 s', pass: true },
    { name: 'orders lost', target: '0', measured: '0', pass: true },
  ],
  figures: { ...emptyFigures(), readyzPolls: 300, requests: 1200, failedRequests: 3, ordersStarted: 150, ordersCompleted: 150, ordersRetried: 2, markedDownMs: 1400, dutiesResumeMs: 3100 },
  timeline: {
    buckets: buckets(30, () => false),
    events: [
      { atMs: 10_000, kind: 'fault', label: 'SIGKILL node-2' },
      { atMs: 11_400, kind: 'note', label: 'HAProxy marks node-2 DOWN' },
      { atMs: 20_000, kind: 'recover', label: 'node-2 restarted' },
    ],
  },
};

const pgKill: ScenarioResult = {
  name: 'pg-primary-kill',
  title: 'PostgreSQL primary killed & promoted <standby>',
  fault: 'SIGKILL to the PostgreSQL primary; the standby is promoted.',
  seeds: '~36 s (database crash)',
  pass: false,
  startedAt: '2025-05-01T10:00:31.000Z',
  durationMs: 45_000,
  criteria: [
    { name: 'longest unavailability', target: '≤ 30 s', measured: '41 s', pass: false },
    { name: 'orders lost', target: '0', measured: '0', pass: true },
  ],
  figures: { ...emptyFigures(), unavailabilityMs: 41_000, readyzPolls: 450, readyzFailures: 410, requests: 1500, failedRequests: 480, ordersStarted: 180, ordersCompleted: 170, ordersRetried: 6, ordersFailed: 4, writeUnavailabilityMs: 39_500, fencedWritesRejected: 2 },
  timeline: {
    buckets: buckets(45, (s) => s >= 5 && s < 46),
    events: [
      { atMs: 5_000, kind: 'fault', label: 'SIGKILL postgres primary' },
      { atMs: 38_000, kind: 'role', label: 'standby promoted' },
    ],
  },
  error: 'gave up waiting: <script>alert(1)</script> & the \u001b[31mpool\u001b[0m closed',
};

const report: DrillReport = {
  version: 1,
  startedAt: '2025-05-01T10:00:00.000Z',
  finishedAt: '2025-05-01T10:01:16.000Z',
  host: 'lab-runner-1',
  pass: false,
  config: { nodes: 3, load: { clients: 8, ordersPerSecond: 5 }, note: '</pre><script>x</script>' },
  scenarios: [nodeKill, pgKill],
};

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

test('renderHtml escapes run text: no <script> survives from titles, errors or config', () => {
  const html = renderHtml(report);
  assert.equal(html.includes('<script'), false);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; the'));
  assert.ok(html.includes('PostgreSQL primary killed &amp; promoted &lt;standby&gt;'));
  assert.ok(html.includes('One app node crashes (SIGKILL)'));
  assert.ok(html.includes('Certainty drill report'));
  assert.ok(html.includes('1 of 2 scenarios passed'));
  assert.equal(count(html, '<svg'), 2);
  assert.equal(count(html, '<svg'), count(html, '</svg>'));
  assert.match(html, /<pre>[^<]*&lt;\/pre&gt;/);
});

test('renderTimelineSvg draws one dashed line per event, bars for buckets and an error path', () => {
  for (const s of report.scenarios) {
    const svg = renderTimelineSvg(s);
    assert.ok(svg.startsWith('<svg') && svg.endsWith('</svg>'));
    assert.equal(count(svg, '<svg'), count(svg, '</svg>'));
    assert.equal(count(svg, 'class="event '), s.timeline.events.length);
    assert.equal(count(svg, 'stroke-dasharray'), s.timeline.events.length);
    assert.equal(count(svg, '<rect class="bucket"'), s.timeline.buckets.length);
    assert.match(svg, /<path class="errors" d="M[\d. ML]+"/);
    assert.match(svg, /viewBox="0 0 900 260"/);
    for (const e of s.timeline.events) assert.ok(svg.includes(e.label));
  }
});

/** Tag names in the order they are left unclosed; empty when every element is closed in order. */
function unbalanced(markup: string): string[] {
  const stack: string[] = [];
  for (const m of markup.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name = '', selfClosing] = m;
    if (selfClosing) continue;
    if (!close) stack.push(name);
    else if (stack.at(-1) === name) stack.pop();
    else return [...stack, `</${name}>`];
  }
  return stack;
}

test('renderTimelineSvg keeps the SVG well formed: every opened element is closed in order', () => {
  for (const s of report.scenarios) assert.deepEqual(unbalanced(renderTimelineSvg(s)), []);
  assert.deepEqual(unbalanced('<svg><g><text>x</g></svg>'), ['svg', 'g', 'text', '</g>']);
});

test('renderTimelineSvg with no buckets still renders axes and events', () => {
  const svg = renderTimelineSvg({ ...nodeKill, timeline: { buckets: [], events: nodeKill.timeline.events } });
  assert.ok(svg.includes('no load measured'));
  assert.equal(count(svg, 'class="event '), 3);
});

test('renderTable aligns every table line and lists the failed criterion under the table', () => {
  const text = renderTable(report);
  const lines = text.split('\n');
  const table = lines.filter((l) => /^[┌├└│]/.test(l));
  assert.equal(table.length, 7);
  const widths = new Set(table.map((l) => [...l].length));
  assert.equal(widths.size, 1, table.join('\n'));
  assert.ok(text.includes('PASS'));
  assert.ok(text.includes('FAIL'));
  assert.ok(lines.includes('  longest unavailability: 41 s (target ≤ 30 s)'));
  assert.equal(lines.some((l) => l.includes('orders lost: 0')), false);
  assert.ok(text.includes('1 of 2 scenarios passed'));
  assert.equal(text.includes('\u001b'), false);
  assert.ok(text.includes('\\x1b[31mpool'));
});

test('renderTable colours PASS and FAIL only when asked, without shifting the columns', () => {
  const plain = renderTable(report).split('\n');
  const colored = renderTable(report, { color: true }).split('\n');
  const strip = (l: string): string => l.replaceAll('\u001b[32m', '').replaceAll('\u001b[31m', '').replaceAll('\u001b[0m', '');
  assert.ok(colored.some((l) => l.includes('\u001b[32mPASS\u001b[0m')));
  assert.ok(colored.some((l) => l.includes('\u001b[31mFAIL\u001b[0m')));
  assert.deepEqual(colored.map(strip), plain);
});

test('renewal drills: the table shows the fleet renewed and when, the HTML lists their figures', () => {
  const massRenewal: ScenarioResult = {
    ...nodeKill, name: 'mass-renewal', title: 'Mass renewal',
    figures: { ...nodeKill.figures, fleetSize: 40, fleetSetupMs: 7_500, certificatesRenewed: 40, renewedAllMs: 15_900, upstreamOrders: 40, duplicateDeploys: 0, renewalsFailed: 0 },
  };
  const unfinished: ScenarioResult = { ...massRenewal, name: 'renewal-rolling-restart', pass: false, figures: { ...massRenewal.figures, certificatesRenewed: 39, renewedAllMs: null } };
  const withFleet: DrillReport = { ...report, scenarios: [nodeKill, massRenewal, unfinished] };
  const rows = renderTable(withFleet).split('\n').filter((l) => l.startsWith('│'));
  assert.ok(rows.find((l) => l.includes(' node-kill '))?.includes(' - │'));
  assert.ok(rows.find((l) => l.includes(' mass-renewal '))?.includes('40/40 in 15.9 s'));
  assert.ok(rows.find((l) => l.includes(' renewal-rolling-restart '))?.includes(' 39/40 │'));
  const html = renderHtml(withFleet);
  assert.ok(html.includes('<dt>Upstream orders</dt><dd>40</dd>'));
  assert.equal(count(html, '<dt>Duplicate deploys</dt>'), 2, 'only the renewal drills list fleet figures');
});
