// Regenerates docs/openapi.json from the admin route tables (src/http/openapi.ts): `npm run docs:openapi`.
// src/http/openapi.test.ts fails when the checked-in file differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { openApiText } from '../src/http/openapi.ts';
import { everyAdminRoute } from '../src/http/route-catalog.ts';

const path = new URL('../docs/openapi.json', import.meta.url);
let before = '';
try {
  before = readFileSync(path, 'utf8');
} catch {
  // first run: nothing to compare with
}
const after = openApiText(everyAdminRoute());
writeFileSync(path, after);
console.log(after === before ? 'docs/openapi.json is current' : 'docs/openapi.json updated');
