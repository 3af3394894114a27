import type { Command } from 'commander';
import { openDb } from '../config/database.ts';
import { kekStores, openCliAudit, openDatabaseKek } from '../context.ts';
import { Keyring } from '../kek/envelope.ts';
import { kekFromPassphrase, loadKekFile, type KekProvider } from '../kek/kek.ts';
import { rotateKek, sealedByKek } from '../kek/rotate.ts';
import type { KekSettingsStore } from '../kek/store.ts';
import { configFrom, print } from './options.ts';
import { progress } from './progress.ts';

async function newProvider(settings: KekSettingsStore, opts: { newFile?: string; newPassphraseEnv?: string }): Promise<KekProvider> {
  if (opts.newFile !== undefined) return loadKekFile(opts.newFile, true);
  if (opts.newPassphraseEnv !== undefined) {
    const passphrase = process.env[opts.newPassphraseEnv];
    if (passphrase === undefined || passphrase.length < 12) throw new Error(`environment variable ${opts.newPassphraseEnv} must hold the new passphrase (at least 12 characters)`);
    const salt = await settings.salt();
    if (salt === undefined) throw new Error('this database has no passphrase salt; rotate to a key file with --new-file instead');
    return kekFromPassphrase(passphrase, Buffer.from(salt, 'base64'));
  }
  throw new Error('give the new KEK with --new-file PATH (created if missing) or --new-passphrase-env VAR');
}

export function registerKekCommands(program: Command): void {
  const kek = program.command('kek').description('the key-encryption key');
  kek.command('status').description('which KEK wraps how many secrets, and this node\'s KEKs').option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const db = openDb(config);
      try {
        const keyring = await openDatabaseKek(db, config);
        const result = { current: keyring.current.id, previous: keyring.previous?.id ?? null, sealedByKek: await sealedByKek(kekStores(db).rotation) };
        print(opts.json === true, result, () => [
          `this node's KEK: ${result.current}${result.previous ? ` (and previous ${result.previous})` : ''}`,
          ...Object.entries(result.sealedByKek).map(([id, n]) => `  ${id}: ${n} secrets${id === result.current ? '' : ' (not the current KEK: run "certainty kek rotate")'}`),
        ].join('\n'));
      } finally {
        await db.close();
      }
    });
  kek.command('rotate').description('re-wrap every data key under a new KEK, online, in batches; safe to rerun after a crash')
    .option('--new-file <path>', 'the new KEK file (created with mode 0600 when missing)')
    .option('--new-passphrase-env <var>', 'environment variable holding the new KEK passphrase')
    .option('--batch-size <n>', 'data keys per transaction', '100')
    .option('--pause-ms <ms>', 'pause between batches, to go gently on a busy database', '0')
    .option('--json', 'print JSON')
    .action(async (opts: { newFile?: string; newPassphraseEnv?: string; batchSize: string; pauseMs: string; json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const batch = Number(opts.batchSize);
      if (!Number.isInteger(batch) || batch < 1) throw new Error('--batch-size must be a positive whole number');
      const db = openDb(config);
      try {
        const { settings, rotation } = kekStores(db);
        const keyring = await openDatabaseKek(db, config);
        const to = await newProvider(settings, opts);
        // At a terminal a bar over every wrapped value (counted first); otherwise a line per batch.
        const bar = progress('kek rotate');
        const total = bar.live ? Object.values(await sealedByKek(rotation)).reduce((a, b) => a + b, 0) : undefined;
        let done = 0;
        const totals = await rotateKek(rotation, keyring, to, {
          batchSize: batch, pauseMs: Number(opts.pauseMs) || 0,
          onBatch: (p) => {
            done += p.rewrapped + p.skipped;
            if (bar.live) bar.update(p.table, done, total);
            else if (opts.json !== true) process.stdout.write(`${p.table}: re-wrapped ${p.rewrapped}, already done ${p.skipped}\n`);
          },
        }).finally(() => bar.end());
        const audit = openCliAudit(db, config.dataDir);
        await audit.recorder.record(undefined, { actor: audit.actor, action: 'kek.changed', object: `kek:${to.id}`, outcome: 'success', details: { totals } });
        // The checkpoint key is wrapped by the new KEK now.
        await audit.seal(new Keyring(to, keyring.current));
        print(opts.json === true, { to: to.id, totals }, () => `Every secret is now wrapped by KEK ${to.id}. Point kek.file (or the passphrase) of every node at the new KEK, then remove kek.previousFile.`);
      } finally {
        await db.close();
      }
    });
}
