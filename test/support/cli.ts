// The certainty command as the lifecycle tests run it: the built bin/certainty.js, a separate
// process with the test's environment (its data directory, database and KEK), like an operator.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT } from './certainty.ts';
import { runUnchecked, type RunResult } from './run.ts';

export interface TestCli {
  /** Runs `certainty ARGS…`; the caller checks the exit code. */
  cli: (...args: string[]) => Promise<RunResult>;
  /** Runs `certainty ARGS…`, fails the test with its stderr unless it exits 0, returns stdout. */
  cliOk: (...args: string[]) => Promise<string>;
  /** `certainty managed show NAME --json`, parsed. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whichever fields they check
  show: (name: string) => Promise<any>;
}

/** `env` is read on every call: tests fill it in `before`, after this is created. */
export function testCli(env: () => Record<string, string>, timeoutMs = 30_000): TestCli {
  const cli = (...args: string[]): Promise<RunResult> => runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), ...args], { env: env(), timeoutMs });
  const cliOk = async (...args: string[]): Promise<string> => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return { cli, cliOk, show: async (name) => JSON.parse(await cliOk('managed', 'show', name, '--json')) };
}
