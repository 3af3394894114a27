#!/usr/bin/env node
// postgres.js 3.4.9 (the newest release) can crash the whole process when a connection closes with
// a small write still queued: `nextWrite` runs on a null socket from a setImmediate, an exception
// no caller can catch (porsager/postgres#1154, #1208; fix proposed in #1209). Its teardown also
// cancels the queued write without forgetting it, so a reconnected connection never flushes again.
// Our drills hit the crash when a node is cut off from the database. Until a release fixes it,
// this guards `nextWrite` (the queued write fails its query with CONNECTION_CLOSED instead) and
// forgets the cancelled write on teardown. Idempotent; fails the install on any other version
// (package.json pins it).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARK = '/* certainty: guarded nextWrite */';
const VERSION = '3.4.9';

// Wherever npm put it (hoisted or not): the package's entry is <root>/src/index.js.
const root = join(dirname(fileURLToPath(import.meta.resolve('postgres'))), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (version !== VERSION) {
  // package.json pins the version; a different one means someone upgraded without looking here.
  console.error(`patch-postgres: postgres ${version} is installed, this patch is for ${VERSION}: check whether porsager/postgres#1208 is fixed in ${version}, then update or remove scripts/patch-postgres.mjs`);
  process.exit(1);
}

const EDITS = [
  ['  function nextWrite(fn) {\n', `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n`],
  ['    clearImmediate(nextWriteTimer)\n    if (socket) {\n', '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {\n'],
  ['    clearImmediate(nextWriteTimer)\n    socket.removeListener(\'data\', data)\n', '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener(\'data\', data)\n'],
];

for (const dir of ['src', 'cjs/src', 'cf/src']) {
  const file = join(root, dir, 'connection.js');
  let text = readFileSync(file, 'utf8');
  if (text.includes(MARK)) continue;
  for (const [from, to] of EDITS) {
    if (text.split(from).length !== 2) throw new Error(`patch-postgres: ${file} does not contain the expected code once; refusing to patch`);
    text = text.replace(from, to);
  }
  writeFileSync(file, text);
  console.log(`patch-postgres: guarded nextWrite in ${file}`);
}
