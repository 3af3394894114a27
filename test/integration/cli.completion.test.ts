// Shell completion as a person gets it: the script `certainty completion bash` prints, sourced by a
// real bash, asked what follows the words typed so far.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/certainty.ts';
import { run, runUnchecked } from '../support/run.ts';
import { makeTempDir } from '../support/tmp.ts';

test('bash completes commands, subcommands, options and option choices from the real command tree', { timeout: 60_000 }, async () => {
  const dir = await makeTempDir('completion');
  const script = join(dir, 'certainty.bash');
  writeFileSync(script, (await run(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'completion', 'bash'], { timeoutMs: 20_000 })).stdout);
  const complete = async (...words: string[]): Promise<string[]> => {
    const array = words.map((w) => `'${w}'`).join(' ');
    const r = await run('bash', ['-c', `source '${script}'; COMP_WORDS=(certainty ${array}); COMP_CWORD=${words.length}; _certainty_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { timeoutMs: 10_000 });
    return r.stdout.split('\n').filter((l) => l !== '').sort();
  };
  assert.deepEqual(await complete('tok'), ['token']);
  assert.deepEqual(await complete('token', ''), ['--help', 'create', 'list', 'revoke']);
  assert.ok((await complete('token', 'create', 'ci', '--')).includes('--ttl'));
  assert.deepEqual(await complete('token', 'create', 'ci', '--role', ''), ['admin', 'auditor', 'ca-admin', 'machine', 'operator', 'secrets-admin', 'viewer']);
  // Another command's --role (an SSH role: any name) keeps its own meaning.
  assert.ok(!(await complete('ssh', 'sign', '--role', '')).includes('machine'));
  // A global option's value is skipped, not taken for a command.
  assert.deepEqual(await complete('--data-dir', '/tmp/x', 'token', 'l'), ['list']);
  assert.ok((await complete('')).includes('serve'));

  const bad = await runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'completion', 'fish'], { timeoutMs: 20_000 });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /no completion for "fish"; use bash or zsh/);
});
