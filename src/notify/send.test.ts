import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageFor } from './messages.ts';
import { slackBody, webhookBody } from './send.ts';
import { formatMessage } from './smtp.ts';

const message = messageFor({ kind: 'deploy-failed', name: 'web (target 0)', subject: 'managed:web:target:0', detail: 'nginx refused the reload' }, 'raised', Date.UTC(2026, 0, 2));

test('the Slack payload has text for every client and header and section blocks', () => {
  const body = JSON.parse(slackBody(message)) as { text: string; blocks: Array<{ type: string; text: { type: string; text: string } }> };
  assert.match(body.text, /^web \(target 0\): deploy failed: .*nginx refused the reload/);
  assert.deepEqual(body.blocks.map((b) => b.type), ['header', 'section']);
  assert.equal(body.blocks[0]?.text.type, 'plain_text');
  assert.match(body.blocks[1]?.text.text ?? '', /^:warning: /);
});

test('the webhook body names the event, the phase and the time', () => {
  const body = JSON.parse(webhookBody(message)) as Record<string, string>;
  assert.equal(body.event, 'deploy-failed');
  assert.equal(body.phase, 'raised');
  assert.equal(body.at, '2026-01-02T00:00:00.000Z');
});

test('an email is base64 UTF-8 with an encoded subject when it is not ASCII, never a bare dot line', () => {
  const raw = formatMessage({ from: 'certainty@example.test', to: ['ops@example.test'], subject: 'Zertifikat läuft ab', text: '.\nline' }, new Date(0));
  assert.match(raw, /^Subject: =\?UTF-8\?B\?/m);
  assert.match(raw, /^Content-Transfer-Encoding: base64$/m);
  const body = raw.split('\r\n\r\n')[1] ?? '';
  assert.equal(Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8'), '.\nline');
  assert.ok(!raw.split('\r\n').includes('.'));
});
