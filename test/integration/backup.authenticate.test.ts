// Archives are authenticated with a MAC under the KEK. Whoever can write
// to the backup store but has no KEK cannot plant rows: an archive with a planted admin token is
// refused, with its original MAC or without one, before anything is written to the target. A
// wrong KEK is named as such; an archive from before a KEK rotation verifies with the old KEK as
// kek.previousFile. A decompression bomb writes nothing to the temp directory.
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import BetterSqlite3 from 'better-sqlite3';
import postgres from 'postgres';
import { restorePostgres } from '../../src/backup/pg-snapshot.ts';
import { pgTool, runPgTool } from '../../src/backup/pg-tools.ts';
import { sealManifest } from '../../src/backup/seal.ts';
import { END_OF_ARCHIVE, fileHeader, padding } from '../../src/backup/tar.ts';
import { Keyring } from '../../src/kek/envelope.ts';
import { loadKekFile } from '../../src/kek/kek.ts';
import { readMembers, replaceMember, writeMembers } from '../support/archive.ts';
import { certaintyAt, emptyTarget, targetContents, type Target } from '../support/restore-target.ts';
import { dialects, freshDatabaseUrl, type Dialect } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const PG = { binDir: undefined, timeoutMs: 120_000 };
const TOKEN_ID = 'a1b2c3d4e5f6';
const TOKEN = `cty_${TOKEN_ID}_${'A'.repeat(32)}`;
const tokenRow = [TOKEN_ID, 'planted', createHash('sha256').update(TOKEN).digest('hex'), Date.now()];

/** The payload with an admin token row added, as an attacker with pg_restore / sqlite3 would. */
async function plantedPayload(dialect: Dialect, payload: Buffer, work: string): Promise<Buffer> {
  const file = join(work, `payload-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, payload);
  if (dialect === 'sqlite') {
    const db = new BetterSqlite3(file);
    db.prepare('INSERT INTO admin_tokens (id, name, hash, created_at) VALUES (?, ?, ?, ?)').run(...tokenRow);
    db.close();
    return readFileSync(file);
  }
  const url = (await freshDatabaseUrl('postgres')) as string;
  await restorePostgres(file, url, PG);
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql`INSERT INTO admin_tokens (id, name, hash, created_at) VALUES (${TOKEN_ID}, 'planted', ${tokenRow[2] as string}, ${Date.now()})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  await runPgTool(pgTool('pg_dump', undefined), ['--format=custom', '--compress=0', `--file=${file}.planted`, '--no-password'], url, PG.timeoutMs);
  return readFileSync(`${file}.planted`);
}

/**
 * Plants an admin token in `from` and writes `to`, with the manifest's unkeyed fields (the
 * payload's size and SHA-256, the row count) recomputed; the MAC is kept, or dropped.
 */
async function plantAdminToken(dialect: Dialect, from: string, to: string, work: string, dropMac: boolean): Promise<void> {
  const members = await readMembers(from);
  const manifest = JSON.parse((members[0]?.data as Buffer).toString('utf8'));
  const payload = await plantedPayload(dialect, members.find((m) => m.name === manifest.payload.name)?.data as Buffer, work);
  manifest.payload.size = payload.length;
  manifest.payload.sha256 = createHash('sha256').update(payload).digest('hex');
  manifest.tables.admin_tokens += 1;
  let planted = replaceMember(members, 'manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  planted = replaceMember(planted, manifest.payload.name, payload);
  if (dropMac && planted.some((m) => m.name === 'manifest.mac')) planted = replaceMember(planted, 'manifest.mac', undefined);
  writeMembers(to, planted);
}

for (const dialect of dialects()) {
  describe(`backup authentication (${dialect})`, { timeout: 300_000 }, () => {
    let work: string;
    let source: Target;
    let archive: string;

    /** An empty target holding `kek` (the source's KEK file unless given). */
    const newTarget = (name: string, kek?: string): Promise<Target> => emptyTarget(work, name, dialect, source.dataDir, kek);

    before(async () => {
      work = await makeTempDir('backup-auth');
      source = { dataDir: join(work, 'source'), databaseUrl: await freshDatabaseUrl(dialect) };
      const init = await certaintyAt(source, ['init']);
      assert.equal(init.code, 0, init.stderr);
      archive = join(work, 'backup.certainty');
      const backup = await certaintyAt(source, ['backup', '--out', archive]);
      assert.equal(backup.code, 0, backup.stderr);
    });
    after(async () => {
      if (work !== undefined) await removeDir(work);
    });

    test('an archive with a planted admin token is refused before anything is written, with its MAC or without one', async () => {
      const target = await newTarget('planted');
      const empty = await targetContents(target);
      const cases: Array<[boolean, RegExp]> = [
        [false, /^certainty: the archive \S+ is not authentic: its manifest does not match its MAC under KEK [0-9a-f]{16}, which is configured \(so the KEK is right\): it was altered after it was written, or forged\. Nothing was written/],
        [true, /^certainty: the archive \S+ is not authentic: it carries no MAC \(its second member is certainty\.(db|pgdump), not manifest\.mac\)/],
      ];
      for (const [dropMac, message] of cases) {
        const planted = join(work, `planted-${dropMac ? 'no-mac' : 'mac'}.certainty`);
        await plantAdminToken(dialect, archive, planted, work, dropMac);
        const r = await certaintyAt(target, ['restore', '--from', planted]);
        assert.equal(r.code, 1, `the planted archive was restored:\n${r.stdout}`);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
        assert.deepEqual(await targetContents(target), empty, 'the target is left as it was');
      }
      const genuine = await certaintyAt(target, ['restore', '--from', archive]);
      assert.equal(genuine.code, 0, genuine.stderr);
      assert.match(genuine.stdout, /MAC: +verified under KEK [0-9a-f]{16}/);
    });

    test('a wrong KEK is named as such; an archive from before a KEK rotation verifies with the old KEK as kek.previousFile', async () => {
      const target = await newTarget('rotated', `${randomBytes(32).toString('base64')}\n`);
      const empty = await targetContents(target);
      const oldKek = join(work, 'old.key');
      copyFileSync(join(source.dataDir, 'kek.key'), oldKek);
      const wrong = await certaintyAt(target, ['restore', '--from', archive]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^certainty: the KEK file \S+kek\.key does not open this backup: it was made under KEK ([0-9a-f]{16}), and the KEK file \S+ is KEK (?!\1)[0-9a-f]{16}\. Nothing was written; .*kek\.previousFile/);
      assert.deepEqual(await targetContents(target), empty);
      const rotated = await certaintyAt(target, ['restore', '--from', archive], { CERTAINTY_KEK_PREVIOUS_FILE: oldKek });
      assert.equal(rotated.code, 0, rotated.stderr);
    });

    test('an archive taken during a KEK rotation needs both KEKs, and says so', async () => {
      const newKek = join(work, 'new.key');
      writeFileSync(newKek, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      const mid = join(work, 'mid-rotation.certainty');
      const backup = await certaintyAt(source, ['backup', '--out', mid], { CERTAINTY_KEK_FILE: newKek, CERTAINTY_KEK_PREVIOUS_FILE: join(source.dataDir, 'kek.key') });
      assert.equal(backup.code, 0, backup.stderr);
      const target = await newTarget('mid-rotation', readFileSync(newKek, 'utf8'));
      const empty = await targetContents(target);
      const newOnly = await certaintyAt(target, ['restore', '--from', mid]);
      assert.equal(newOnly.code, 1);
      assert.match(newOnly.stderr, /does not open this backup: its MAC verifies under KEK [0-9a-f]{16}, but its secrets are wrapped with another KEK: it was taken during a KEK rotation, so configure the new KEK as kek\.file and the old one as kek\.previousFile/);
      assert.deepEqual(await targetContents(target), empty);
      const both = await certaintyAt(target, ['restore', '--from', mid], { CERTAINTY_KEK_PREVIOUS_FILE: join(source.dataDir, 'kek.key') });
      assert.equal(both.code, 0, both.stderr);
    });

    test('a decompression bomb with an authentic manifest is refused at its header, writing nothing to the temp directory', async () => {
      const target = await newTarget('bomb');
      const tmp = join(work, 'tmp');
      mkdirSync(tmp);
      const [manifestMember] = await readMembers(archive);
      const manifest = JSON.parse((manifestMember?.data as Buffer).toString('utf8'));
      manifest.payload.size = 1024;
      const json = Buffer.from(JSON.stringify(manifest));
      // Only the KEK holder can make this MAC: the bomb stands for a damaged header, not an attack.
      const mac = sealManifest(new Keyring(loadKekFile(join(source.dataDir, 'kek.key'), false)), json);
      const bomb = 64 * 1024 * 1024;
      const tar = [fileHeader('manifest.json', json.length, 0), json, padding(json.length), fileHeader('manifest.mac', mac.length, 0), mac, padding(mac.length)];
      writeFileSync(join(work, 'bomb.certainty'), gzipSync(Buffer.concat([...tar, fileHeader(manifest.payload.name, bomb, 0), Buffer.alloc(bomb), END_OF_ARCHIVE])));
      const r = await certaintyAt(target, ['restore', '--from', join(work, 'bomb.certainty')], { TMPDIR: tmp });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is damaged or not a Certainty backup: its payload member is 67108864 bytes where its manifest says 1024/);
      assert.deepEqual(readdirSync(tmp), []);
    });
  });
}
