// Regenerates the metrics table in docs/metrics.md from the code's registry (src/metrics/catalog.ts):
// `npm run docs:metrics`. src/metrics/doc.test.ts fails when the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { metricDocs, metricsTable, replaceGenerated } from '../src/metrics/doc.ts';

const path = new URL('../docs/metrics.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = replaceGenerated(before, metricsTable(await metricDocs()));
writeFileSync(path, after);
console.log(after === before ? 'docs/metrics.md is current' : 'docs/metrics.md updated');
