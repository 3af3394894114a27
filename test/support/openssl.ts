import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  readonly status: number | null;
  /** stdout as bytes, for DER output. */
  readonly stdout: Buffer;
  /** stdout then stderr as text: OpenSSL reports some outcomes (e.g. "verify OK") on either. */
  readonly out: string;
}

export interface OpensslScratch {
  readonly dir: string;
  /** Runs `openssl args` in `dir` after writing `files` there; never throws on a non-zero exit. */
  run(args: readonly string[], files?: Readonly<Record<string, string | Uint8Array>>, input?: string | Uint8Array): OpensslResult;
  remove(): void;
}

/**
 * A scratch directory for tests that check our DER with the `openssl` command line, the
 * independent implementation most relying parties use.
 */
export function opensslScratch(label: string): OpensslScratch {
  const dir = mkdtempSync(join(tmpdir(), `certainty-${label}-`));
  return {
    dir,
    run(args, files = {}, input) {
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      const r = spawnSync('openssl', args, { cwd: dir, ...(input === undefined ? {} : { input }) });
      if (r.error !== undefined) throw r.error;
      return { status: r.status, stdout: r.stdout, out: `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}` };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
