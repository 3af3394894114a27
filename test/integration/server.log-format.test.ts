// What an operator reads: JSON lines for log collectors (the default when stdout is not a
// terminal), one readable line per event with log.format=pretty.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCertainty } from '../support/certainty.ts';

const ports = { dnsAddress: '127.0.0.1:53', http01Port: 80, tlsAlpn01Port: 443 };

test('logs are JSON lines when stdout is not a terminal, readable lines with log.format=pretty', { timeout: 90_000 }, async () => {
  const json = await startCertainty(ports);
  try {
    const serving = (await json.logTail(200)).split('\n').find((l) => l.includes('certainty is serving'));
    assert.ok(serving, await json.logTail());
    const entry = JSON.parse(serving) as { level: number; msg: string; directory: string };
    assert.equal(entry.msg, 'certainty is serving');
    assert.match(entry.directory, /\/directory$/);
  } finally {
    await json.dispose();
  }
  const pretty = await startCertainty({ ...ports, env: { CERTAINTY_LOG_FORMAT: 'pretty' } });
  try {
    const lines = (await pretty.logTail(200)).split('\n');
    const serving = lines.find((l) => l.includes('certainty is serving'));
    assert.ok(serving, lines.join('\n'));
    // "[12:34:56.789] INFO: certainty is serving", its fields on the indented lines below; no JSON, no colour codes in a file.
    assert.match(serving, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*: certainty is serving$/);
    assert.ok(lines.some((l) => /^\s+directory: "https:\/\/127\.0\.0\.1:\d+\/directory"$/.test(l)), lines.join('\n'));
    assert.ok(!lines.some((l) => l.startsWith('{"level"')), 'no JSON line');
    assert.ok(!lines.some((l) => l.includes('\u001b[')), 'no terminal colour codes when writing to a file');
  } finally {
    await pretty.dispose();
  }
});
