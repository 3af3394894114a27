// The drill report as one self-contained HTML page: no scripts, no external assets, so it can be
// mailed, attached to a ticket or opened from a CI artifact years later and still render.
// Everything that came from a run (titles, labels, error messages, config) is escaped.
import { humanDuration } from '../duration.ts';
import { SEED_FIGURES } from './report.ts';
import type { Criterion, DrillReport, Figures, ScenarioResult, SecondBucket, TimelineEvent } from './report.ts';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML and SVG element content and quoted attribute values alike. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

// Chart geometry. The viewBox keeps these units, so the chart scales with the page width.
const W = 900;
const H = 260;
const LEFT = 52;
const RIGHT = W - 16;
const LABEL_ROWS = [11, 22] as const;
const LANE_READYZ = 30;
const LANE_WRITES = 42;
const LANE_H = 8;
const TOP = 64;
const BOTTOM = 208;
const EVENT_COLORS: Readonly<Record<TimelineEvent['kind'], string>> = { fault: '#c62828', recover: '#2e7d32', role: '#1565c0', note: '#757575' };
const BAR = '#9bb7d4';
const ERROR = '#d32f2f';
const WRITES = '#ef6c00';
const LANE_OK = '#cfe8d0';

/** Maps seconds and requests/s to chart coordinates. */
interface Frame {
  readonly seconds: number;
  readonly yMax: number;
  x(second: number): number;
  y(value: number): number;
}

/** One decimal is finer than a pixel at this size and keeps the markup short. */
function n(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** The smallest 1/2/2.5/5 × 10^k at or above v, so the y axis ends on a round figure. */
function niceCeil(v: number): number {
  if (v <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= v) return m * power;
  return 10 * power;
}

function frameFor(s: ScenarioResult): Frame {
  const { buckets, events } = s.timeline;
  const lastBucket = buckets.reduce((m, b) => Math.max(m, b.second + 1), 0);
  const lastEvent = events.reduce((m, e) => Math.max(m, Math.ceil(e.atMs / 1000)), 0);
  const seconds = Math.max(1, lastBucket, lastEvent, Math.ceil(s.durationMs / 1000));
  const yMax = niceCeil(buckets.reduce((m, b) => Math.max(m, b.requests, b.errors), 0));
  return {
    seconds,
    yMax,
    x: (second) => LEFT + (second / seconds) * (RIGHT - LEFT),
    y: (value) => BOTTOM - (value / yMax) * (BOTTOM - TOP),
  };
}

function xStep(seconds: number): number {
  return [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800].find((step) => seconds / step <= 12) ?? 3600;
}

function axesSvg(f: Frame): string {
  const out: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (f.yMax * i) / 4;
    const y = n(f.y(v));
    out.push(`<line x1="${LEFT}" y1="${y}" x2="${RIGHT}" y2="${y}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y}" dy="3" text-anchor="end">${n(v)}</text>`);
  }
  const step = xStep(f.seconds);
  for (let t = 0; t <= f.seconds; t += step) {
    const x = n(f.x(t));
    out.push(`<line x1="${x}" y1="${BOTTOM}" x2="${x}" y2="${BOTTOM + 4}" stroke="#444"/>`);
    out.push(`<text x="${x}" y="${BOTTOM + 15}" text-anchor="middle">${t} s</text>`);
  }
  out.push(`<line x1="${LEFT}" y1="${BOTTOM}" x2="${RIGHT}" y2="${BOTTOM}" stroke="#444"/>`);
  out.push(`<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${BOTTOM}" stroke="#444"/>`);
  return out.join('');
}

/**
 * Status lanes above the plot: a cell per second, pale green when every probe passed, red or orange
 * as opaque as the share that failed, and left grey when nothing was probed that second.
 */
function lanesSvg(buckets: readonly SecondBucket[], f: Frame): string {
  const w = n(f.x(1) - f.x(0));
  const lane = (y: number, label: string, color: string, counts: (b: SecondBucket) => readonly [bad: number, good: number]): string => {
    const cells = buckets.flatMap((b) => {
      const [bad, good] = counts(b);
      if (bad + good === 0) return [];
      const fill = bad > 0 ? `fill="${color}" fill-opacity="${n(0.25 + (0.75 * bad) / (bad + good))}"` : `fill="${LANE_OK}"`;
      return [`<rect x="${n(f.x(b.second))}" y="${y}" width="${w}" height="${LANE_H}" ${fill}/>`];
    });
    return `<rect x="${LEFT}" y="${y}" width="${RIGHT - LEFT}" height="${LANE_H}" fill="#f1f1f1"/>${cells.join('')}<text x="${LEFT - 6}" y="${y + LANE_H - 1}" text-anchor="end">${label}</text>`;
  };
  return lane(LANE_READYZ, 'readyz', ERROR, (b) => [b.readyzFailed, b.readyzOk]) + lane(LANE_WRITES, 'writes', WRITES, (b) => [b.writesFailed, b.writesOk]);
}

/** Requests/s as bars, errors/s as a red line over them. */
function seriesSvg(buckets: readonly SecondBucket[], f: Frame): string {
  if (buckets.length === 0) {
    return `<text x="${(LEFT + RIGHT) / 2}" y="${(TOP + BOTTOM) / 2}" text-anchor="middle" fill="#777">no load measured</text>`;
  }
  const slot = f.x(1) - f.x(0);
  const bars = buckets
    .filter((b) => b.requests > 0)
    .map((b) => `<rect class="bucket" x="${n(f.x(b.second) + slot * 0.08)}" y="${n(f.y(b.requests))}" width="${n(slot * 0.84)}" height="${n(BOTTOM - f.y(b.requests))}" fill="${BAR}"/>`);
  const sorted = [...buckets].sort((a, b) => a.second - b.second);
  const d = sorted.map((b, i) => `${i === 0 ? 'M' : 'L'}${n(f.x(b.second + 0.5))} ${n(f.y(b.errors))}`).join(' ');
  return `${bars.join('')}<path class="errors" d="${d}" fill="none" stroke="${ERROR}" stroke-width="1.5"/>`;
}

/** Rough width of a label in the chart's 11 px font, to keep labels from running into each other. */
const CHAR_PX = 6;

/**
 * Dashed vertical lines, each with its label in the first of two rows that has room for it; an
 * event whose label fits in neither (a burst of state changes) keeps its line and its tooltip.
 */
function eventsSvg(events: readonly TimelineEvent[], f: Frame): string {
  const sorted = [...events].sort((a, b) => a.atMs - b.atMs);
  const rowEnd = LABEL_ROWS.map(() => -Infinity);
  return sorted
    .map((e) => {
      // Clamped: an event stamped just before the scenario start must still land on the chart.
      const x = Math.min(RIGHT, Math.max(LEFT, f.x(e.atMs / 1000)));
      const color = EVENT_COLORS[e.kind];
      const short = e.label.length > 32 ? `${e.label.slice(0, 31)}…` : e.label;
      const width = short.length * CHAR_PX + 6;
      const nearRight = x > RIGHT - 160;
      const from = nearRight ? x - width : x;
      const row = rowEnd.findIndex((end) => end < from);
      const tx = nearRight ? x - 3 : x + 3;
      const title = `${e.kind} at ${humanDuration(e.atMs)}: ${e.label}`;
      let text = '';
      if (row >= 0) {
        rowEnd[row] = from + width;
        text = `<text x="${n(tx)}" y="${LABEL_ROWS[row]}" fill="${color}" text-anchor="${nearRight ? 'end' : 'start'}">${escapeHtml(short)}</text>`;
      }
      return (
        `<g><title>${escapeHtml(title)}</title>` +
        `<line class="event event-${e.kind}" x1="${n(x)}" y1="${(LABEL_ROWS[0] ?? 0) - 9}" x2="${n(x)}" y2="${BOTTOM}" stroke="${color}" stroke-width="1.2" stroke-dasharray="4 3"/>` +
        `${text}</g>`
      );
    })
    .join('');
}

function legendSvg(): string {
  const items: [string, string][] = [
    [`<rect width="10" height="10" fill="${BAR}"/>`, 'requests/s'],
    [`<line x1="0" y1="5" x2="12" y2="5" stroke="${ERROR}" stroke-width="2"/>`, 'errors/s'],
    [`<rect width="10" height="10" fill="${ERROR}"/>`, 'readyz failed'],
    [`<rect width="10" height="10" fill="${WRITES}"/>`, 'DB writes failed'],
    ...(['fault', 'recover', 'role', 'note'] as const).map((k): [string, string] => [`<rect x="4" width="2" height="10" fill="${EVENT_COLORS[k]}"/>`, k]),
  ];
  let x = LEFT;
  const out = items.map(([swatch, label]) => {
    const g = `<g transform="translate(${x} ${H - 16})">${swatch}<text x="16" y="9">${label}</text></g>`;
    x += 26 + label.length * 6;
    return g;
  });
  return out.join('');
}

/** The scenario's timeline as inline SVG: load, errors, probe lanes and events, by second. */
export function renderTimelineSvg(s: ScenarioResult): string {
  const f = frameFor(s);
  const label = `Timeline of ${s.title}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(label)}" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="10" fill="#333">` +
    `<title>${escapeHtml(label)}</title>` +
    axesSvg(f) +
    lanesSvg(s.timeline.buckets, f) +
    seriesSvg(s.timeline.buckets, f) +
    eventsSvg(s.timeline.events, f) +
    legendSvg() +
    '</svg>'
  );
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fff;max-width:1040px;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}th,td{border:1px solid #ddd;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:.6rem;font-weight:600;font-size:.85rem;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}.big{font-size:1.1rem;padding:.15rem .8rem}
.meta,.note{color:#555}.error{background:#fdecea;border:1px solid #f5c2c0;padding:.5rem .8rem;white-space:pre-wrap}
dl.figures{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem;font-size:.92rem}dl.figures dt{color:#555}dl.figures dd{margin:0}
svg{max-width:100%;height:auto;display:block}pre{background:#f7f7f7;padding:.8rem;overflow:auto;font-size:.85rem}
`;

function badge(pass: boolean, extra = ''): string {
  return `<span class="badge ${pass ? 'pass' : 'fail'}${extra}">${pass ? 'PASS' : 'FAIL'}</span>`;
}

/** A fragment-safe id: run names are ours, but a stray character must not break the anchor. */
function anchor(s: ScenarioResult): string {
  return `scenario-${s.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`;
}

function summaryTable(report: DrillReport): string {
  const head = ['Scenario', 'Result', 'Longest unavailable', 'Reads down', 'ACME writes down', 'Failed requests', 'Orders failed / retried', 'Duties resume', 'DB writes down', 'Orders lost', 'Jobs run twice', 'Typical outage elsewhere'];
  const rows = report.scenarios.map((s) => {
    const f = s.figures;
    const cells = [
      `<td><a href="#${anchor(s)}">${escapeHtml(s.title)}</a></td>`,
      `<td>${badge(s.pass)}</td>`,
      ...[humanDuration(f.unavailabilityMs), humanDuration(f.readsDownMs), humanDuration(f.acmeWritesDownMs), `${f.failedRequests} / ${f.requests}`, `${f.ordersFailed} / ${f.ordersRetried}`, humanDuration(f.dutiesResumeMs), humanDuration(f.writeUnavailabilityMs), String(f.ordersLost), String(f.jobsRunTwice)].map(
        (v) => `<td class="num">${escapeHtml(v)}</td>`,
      ),
      `<td>${escapeHtml(s.seeds)}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  const seeds = SEED_FIGURES.map((r) => `${escapeHtml(r.fault)}: ${escapeHtml(r.seeds)}`).join('; ');
  return (
    `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="note">The seeds' published outage figures, for comparison: ${seeds}.</p>`
  );
}

function criteriaTable(criteria: readonly Criterion[]): string {
  if (criteria.length === 0) return '<p class="note">No criteria were evaluated.</p>';
  const rows = criteria.map(
    (c) => `<tr><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.target)}</td><td class="num">${escapeHtml(c.measured)}</td><td>${badge(c.pass)}</td></tr>`,
  );
  return `<table><thead><tr><th>Criterion</th><th>Target</th><th>Measured</th><th>Pass</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The renewal drills' figures (docs/lab.md). */
function renewalItems(f: Figures): [string, string][] {
  const count = (v: number | null): string => (v === null ? '—' : String(v));
  return [
    ['Fleet issued and deployed (setup)', humanDuration(f.fleetSetupMs)],
    ['Certificates renewed, deployed, verified', `${count(f.certificatesRenewed)} of ${count(f.fleetSize)}`],
    ['All renewed after', humanDuration(f.renewedAllMs)],
    ['Upstream orders', count(f.upstreamOrders)],
    ['Duplicate deploys', count(f.duplicateDeploys)],
    ['Failed renewals', count(f.renewalsFailed)],
  ];
}

function figuresList(f: Figures): string {
  const count = (v: number | null): string => (v === null ? '—' : String(v));
  const items: [string, string][] = [
    ['Longest unavailable (readyz)', humanDuration(f.unavailabilityMs)],
    ['Readyz polls failed', `${f.readyzFailures} of ${f.readyzPolls}`],
    ['Reads down (directory, newNonce)', humanDuration(f.readsDownMs)],
    ['ACME writes down (POSTs)', humanDuration(f.acmeWritesDownMs)],
    ['ACME requests failed', `${f.failedRequests} of ${f.requests}`],
    ['Orders completed', `${f.ordersCompleted} of ${f.ordersStarted}`],
    ['Orders retried / failed', `${f.ordersRetried} / ${f.ordersFailed}`],
    ['Marked down by the front', humanDuration(f.markedDownMs)],
    ['Node not ready', humanDuration(f.notReadyMs)],
    ['Scheduler lease taken over', humanDuration(f.takeoverMs)],
    ['Duties resume', humanDuration(f.dutiesResumeMs)],
    ['Patroni failover', humanDuration(f.failoverMs)],
    ['Writes resume after promotion', humanDuration(f.writesResumeMs)],
    ['DB writes down', humanDuration(f.writeUnavailabilityMs)],
    ['Fenced writes rejected', count(f.fencedWritesRejected)],
    ['Orders lost', count(f.ordersLost)],
    ['Certificates no client received', count(f.certificatesUnknown)],
    ['Jobs run twice', count(f.jobsRunTwice)],
    ['Jobs failed', count(f.jobsFailed)],
    ...(f.fleetSize === null ? [] : renewalItems(f)),
  ];
  return `<dl class="figures">${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

function scenarioSection(s: ScenarioResult): string {
  return (
    `<section id="${anchor(s)}"><h2>${escapeHtml(s.title)} ${badge(s.pass)}</h2>` +
    `<p class="meta">${escapeHtml(s.name)} · started ${escapeHtml(s.startedAt)} · ran ${escapeHtml(humanDuration(s.durationMs))}</p>` +
    `<p><strong>Fault:</strong> ${escapeHtml(s.fault)}</p>` +
    `<p><strong>Typical outage elsewhere:</strong> ${escapeHtml(s.seeds)}</p>` +
    (s.error === undefined ? '' : `<p class="error"><strong>The scenario did not run to the end:</strong> ${escapeHtml(s.error)}</p>`) +
    criteriaTable(s.criteria) +
    renderTimelineSvg(s) +
    figuresList(s.figures) +
    '</section>'
  );
}

/** bigint and other non-JSON values still print, rather than failing the whole report. */
function configJson(config: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(config, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/** The whole report as one standalone HTML page. */
export function renderHtml(report: DrillReport): string {
  const passed = report.scenarios.filter((s) => s.pass).length;
  const elapsed = Date.parse(report.finishedAt) - Date.parse(report.startedAt);
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>Certainty drill report</title><style>${CSS}</style></head><body>` +
    `<h1>Certainty drill report</h1>` +
    `<p class="meta">${escapeHtml(report.startedAt)} to ${escapeHtml(report.finishedAt)}` +
    (Number.isFinite(elapsed) ? ` (${escapeHtml(humanDuration(elapsed))})` : '') +
    ` on ${escapeHtml(report.host)}</p>` +
    `<p>${badge(report.pass, ' big')} ${passed} of ${report.scenarios.length} scenarios passed</p>` +
    summaryTable(report) +
    report.scenarios.map(scenarioSection).join('') +
    `<h2>Configuration</h2><pre>${escapeHtml(configJson(report.config))}</pre>` +
    '</body></html>\n'
  );
}
