import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SshReport } from './deps.ts';
import { SshService } from './service.ts';

test('a refused signing request is reported with the kind of the role it named, or unknown', async () => {
  const seen: string[] = [];
  const report: SshReport = { sshSigned: (kind, outcome) => void seen.push(`${kind} ${outcome}`) };
  const roles: Record<string, { role: { kind: 'user' | 'host' } }> = { dev: { role: { kind: 'user' } } };
  const store = { role: async (name: string) => roles[name], tokenName: async () => undefined };
  const ssh = new SshService({ store: store as never, kek: {} as never, now: Date.now, report });
  const who = { tokenId: 'cli', tokenName: 'cli', admin: true, actor: 'cli:test' };
  await assert.rejects(ssh.sign({ role: 'nope', publicKey: 'not a key' }, who));
  await assert.rejects(ssh.sign({ role: 'dev', publicKey: 'not a key' }, who));
  assert.deepEqual(seen, ['unknown refused', 'user refused']);
});
