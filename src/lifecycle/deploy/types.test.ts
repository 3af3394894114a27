import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../errors.ts';
import { parseTargetSpec, targetSpecSchema } from './types.ts';

const ok = (input: unknown): void => assert.ok(targetSpecSchema.safeParse(input).success, JSON.stringify(input));

/** The detail of the AppError parseTargetSpec throws for `input`. */
function refusal(input: unknown): string {
  try {
    parseTargetSpec(input);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'malformed');
    return err.detail;
  }
  assert.fail(`accepted ${JSON.stringify(input)}`);
}

test('targetSpecSchema accepts one example of each target type', () => {
  ok({ type: 'file', fullchainPath: '/etc/ssl/a.pem', keyPath: '/etc/ssl/a.key', owner: 'root', group: 0, mode: '0644', keyMode: '0640' });
  ok({ type: 'exec', command: '/usr/local/bin/hook', args: ['--reload'], env: { SERVICE: 'web' }, timeoutMs: 5000, files: { certPath: '/tmp/c.pem' } });
  ok({ type: 'haproxy', socket: '/run/haproxy/admin.sock', crtPath: '/etc/haproxy/site.pem' });
  ok({ type: 'haproxy', socket: '127.0.0.1:9999', crtPath: '/etc/haproxy/site.pem', window: { days: ['sat', 'sun'], start: '02:00', end: '04:00' } });
  ok({ type: 'nginx', fullchainPath: '/etc/nginx/a.pem', keyPath: '/etc/nginx/a.key', pidFile: '/run/nginx.pid', verify: { host: '127.0.0.1', port: 443, servername: 'a.example' } });
  ok({ type: 'nginx', certPath: '/etc/nginx/a.pem', reloadCommand: ['/usr/sbin/nginx', '-s', 'reload'] });
  ok({ type: 'webhook', url: 'https://hooks.example/cert', secretRef: 'deploy-hook', includePrivateKey: true, headers: { 'X-Team': 'web' } });
});

test('targetSpecSchema refuses unknown types, unknown keys and unsafe values, naming the field', () => {
  assert.match(refusal({ type: 'ftp', path: '/x' }), /^target\.type: /);
  assert.match(refusal({ type: 'file', certPath: '/a', colour: 'red' }), /colour/);
  assert.match(refusal({ type: 'file', owner: 'root' }), /at least one of certPath/);
  assert.match(refusal({ type: 'file', certPath: 'relative/c.pem' }), /target\.certPath: expected an absolute path/);
  assert.match(refusal({ type: 'file', certPath: '/c.pem', mode: '0999' }), /target\.mode: expected an octal mode/);
  assert.match(refusal({ type: 'file', certPath: '/c.pem', owner: 'root; rm -rf /' }), /target\.owner/);
  assert.match(refusal({ type: 'exec', command: 'hook.sh' }), /target\.command: expected an absolute path/);
  assert.match(refusal({ type: 'exec', command: '/bin/true', env: { 'BAD NAME': 'x' } }), /target\.env/);
  assert.match(refusal({ type: 'haproxy', socket: 'somewhere', crtPath: '/c.pem' }), /target\.socket/);
  assert.match(refusal({ type: 'nginx', certPath: '/c.pem' }), /exactly one of pidFile and reloadCommand/);
  assert.match(refusal({ type: 'nginx', certPath: '/c.pem', pidFile: '/p', reloadCommand: ['/x'] }), /exactly one of pidFile and reloadCommand/);
  assert.match(refusal({ type: 'webhook', url: 'ftp://hooks.example/', secretRef: 'k' }), /target\.url/);
  assert.match(refusal({ type: 'webhook', url: 'https://hooks.example/' }), /target\.secretRef/);
  assert.match(refusal({ type: 'file', certPath: '/c.pem', window: { start: '25:00', end: '02:00' } }), /target\.window\.start: expected a UTC time HH:MM/);
  assert.match(refusal({ type: 'file', certPath: '/c.pem', window: { days: ['funday'], start: '01:00', end: '02:00' } }), /target\.window\.days/);
  assert.match(refusal({ type: 'file', certPath: '/c.pem', verify: { host: 'a', port: 70000 } }), /target\.verify\.port/);
});
