// SQLite group commit and crashes: a process killed while a commit group is open loses only that
// group's uncommitted work, never a transaction whose caller was already told it committed.
// SQLite only: the group commit is SQLite's (src/store/sqlite.ts).
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { REPO_ROOT } from '../support/certainty.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { withTimeout } from '../support/wait.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await removeDir(d);
});

/** The child: one committed group, then a second group killed while open. It reports each step on stdout. */
const CHILD = `
import { SqliteDatabase } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src/store/sqlite.ts')).href)};
const db = new SqliteDatabase(process.argv[1]);
await db.exec('CREATE TABLE items (id TEXT PRIMARY KEY)');
const add = (id) => db.transaction((tx) => tx.exec('INSERT INTO items (id) VALUES (?)', [id]));
await Promise.all([add('a'), add('b')]);
console.log('committed');
void add('c');
void db.transaction(async (tx) => {
  await tx.exec('INSERT INTO items (id) VALUES (?)', ['d']);
  console.log('in-group');
  await new Promise(() => {});
});
`;

test('a process killed mid-group keeps every acknowledged transaction and none of the open group', { timeout: 30_000 }, async () => {
  const dir = await makeTempDir('group-commit');
  dirs.push(dir);
  const path = join(dir, 'crash.sqlite');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, path], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const lines: string[] = [];
  const inGroup = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line === 'in-group') resolve();
    });
    void exited.then(() => reject(new Error(`the child exited early; it printed ${JSON.stringify(lines)}`)));
  });
  try {
    await withTimeout(inGroup, 20_000, 'the child to open its second group');
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL');
  assert.deepEqual(lines, ['committed', 'in-group']);
  const db = new BetterSqlite3(path);
  try {
    assert.deepEqual(db.prepare('SELECT id FROM items ORDER BY id').pluck().all(), ['a', 'b']);
  } finally {
    db.close();
  }
});
