import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors.ts';
import { checkSections, parseApplyText, pathText, resolveSources, type SecretSources } from './apply-document.ts';
import { canonical, changedFields, planLine, summaryLine, type Change } from './apply-plan.ts';

const change = (op: Change['op'], name: string, fields: string[] = []): Change => ({ op, noun: 'managed', name, fields, run: () => Promise.resolve() });
const detailOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.detail : String(err);
  }
  return 'no error';
};

test('the diff ignores key order and treats absent as undefined, and names each field that differs', () => {
  assert.equal(canonical({ b: 1, a: { d: 2, c: 3 } }), canonical({ a: { c: 3, d: 2 }, b: 1 }));
  assert.deepEqual(changedFields({ names: ['a'], keyType: 'ecdsa-p256', profile: undefined }, { keyType: 'ecdsa-p256', names: ['a'] }), []);
  assert.deepEqual(changedFields({ names: ['a', 'b'], renewWhenLeft: 0.25, keyType: 'x' }, { names: ['a'], renewWhenLeft: 0.5, keyType: 'x' }), ['names', 'renewWhenLeft']);
  assert.deepEqual(changedFields({ solver: { type: 'http-01' } }, { solver: { type: 'exec' } }), ['solver']);
});

test('the plan reads in plain words, and removals depend on --prune', () => {
  assert.equal(planLine(change('create', 'www'), { prune: false, dryRun: true }), '+ managed www (new)');
  assert.equal(planLine(change('update', 'api', ['names', 'renewWhenLeft']), { prune: false, dryRun: true }), '~ managed api: names, renewWhenLeft');
  assert.equal(planLine(change('remove', 'old'), { prune: false, dryRun: true }), '- managed old (would be removed with --prune)');
  assert.equal(planLine(change('remove', 'old'), { prune: true, dryRun: true }), '- managed old (would be removed)');
  assert.equal(planLine(change('remove', 'old'), { prune: true, dryRun: false }), '- managed old (removed)');
  assert.equal(summaryLine({ created: 2, updated: 1, removed: 0 }, false), '2 created, 1 updated, 0 removed');
  assert.equal(summaryLine({ created: 0, updated: 0, removed: 0 }, false), 'no changes');
  assert.match(summaryLine({ created: 1, updated: 0, removed: 0 }, true), /^1 to create, 0 to update, 0 to remove \(dry run: nothing changed\)$/);
});

test('paths in errors read as in the file', () => {
  assert.equal(pathText(['managed', 2, 'targets', 0, 'path']), 'managed[2].targets[0].path');
  assert.match(detailOf(() => checkSections({ managed: [], notifcations: [] }, ['issuers', 'managed'])), /^notifcations: unknown section; an apply file holds issuers, managed$/);
  assert.match(detailOf(() => checkSections({ managed: { name: 'x' } }, ['managed'])), /^managed: expected a list$/);
  assert.deepEqual(checkSections({ managed: null }, ['issuers', 'managed']), { managed: [] }, 'an empty section is there; a missing one is not');
  assert.match(detailOf(() => parseApplyText('managed:\n  - name: a\n  - name: b\n    name: c\n', 'f.yaml')), /^f\.yaml: .*unique/i);
});

test('secret sources: environment variables and files on the CLI, refused by the API', () => {
  const sources: SecretSources = {
    env: (n) => ({ HOOK_TOKEN: 'Bearer t0k' })[n],
    file: (p) => {
      if (p === '/etc/eab.key') return 'aGVsbG8td29ybGQtMTIzNDU2\n';
      throw new Error('ENOENT: no such file');
    },
  };
  const doc = {
    issuers: [{ name: 'corp', eab: { kid: 'k1', hmacFile: '/etc/eab.key' } }],
    managed: [{ name: 'www', targets: [{ type: 'webhook', headers: { Authorization: { secretEnv: 'HOOK_TOKEN' }, 'X-Ref': { secret: 'kv/hook#token' } } }] }],
  };
  assert.deepEqual(resolveSources(doc, [], sources), {
    issuers: [{ name: 'corp', eab: { kid: 'k1', hmac: 'aGVsbG8td29ybGQtMTIzNDU2' } }],
    managed: [{ name: 'www', targets: [{ type: 'webhook', headers: { Authorization: 'Bearer t0k', 'X-Ref': { secret: 'kv/hook#token' } } }] }],
  });
  assert.equal(detailOf(() => resolveSources({ managed: [{ t: { secretEnv: 'NOPE' } }] }, [], sources)), 'managed[0].t.secretEnv: the environment variable NOPE is not set; export it before running certainty apply');
  assert.match(detailOf(() => resolveSources({ issuers: [{ eab: { hmacFile: '/missing' } }] }, [], sources)), /^issuers\[0\]\.eab\.hmacFile: cannot read \/missing: ENOENT/);
  assert.match(detailOf(() => resolveSources({ issuers: [{ eab: { hmac: 'x', hmacEnv: 'HOOK_TOKEN' } }] }, [], sources)), /give either hmac or hmacEnv, not both/);
  assert.match(detailOf(() => resolveSources(doc, [], undefined)), /^issuers\[0\]\.eab\.hmacFile: the admin API does not read files/);
});
