import * as assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { checkpointMessage } from './checkpoint.ts';
import { checkpointKeyFromPem } from './checkpoint-key.ts';
import { readSinkCopy } from './sink-copy.ts';
import type { AuditRecordJson } from './wire.ts';

const ours = generateKeyPairSync('ed25519');
const key = checkpointKeyFromPem(ours.publicKey.export({ format: 'pem', type: 'spki' }).toString());

function checkpoint(nodeId: string, seq: number, signer = ours.privateKey): AuditRecordJson {
  const hash = `h${seq - 1}`;
  const timeMs = 1_764_201_600_000 + seq;
  const signature = sign(null, checkpointMessage(nodeId, seq - 1, hash, timeMs), signer).toString('base64url');
  return {
    nodeId, seq, time: new Date(timeMs).toISOString(), timeMs, actor: `node:${nodeId}`, action: 'audit.checkpoint', object: `node:${nodeId}`,
    outcome: 'success', details: { seq: seq - 1, hash, keyId: key.keyId, signature }, prevHash: hash, hash: `h${seq}`,
  };
}

test('a sink copy yields each node\'s latest verified checkpoint from webhook bodies, records and syslog lines', () => {
  const other = generateKeyPairSync('ed25519').privateKey;
  const lines = [
    JSON.stringify({ records: [checkpoint('node-a', 5), { ...checkpoint('node-a', 6), action: 'eab.created' }] }),
    JSON.stringify(checkpoint('node-b', 3)),
    `<110>1 2026-11-27T00:00:00.009Z node-a certainty - audit.checkpoint [certainty@32473 seq="9"] \u{FEFF}${JSON.stringify(checkpoint('node-a', 9))}`,
    JSON.stringify(checkpoint('node-a', 7)),
    JSON.stringify(checkpoint('node-b', 12, other)),
    'not a record',
    '',
  ];
  const copy = readSinkCopy(lines.join('\n'), key);
  assert.deepEqual(Object.fromEntries([...copy.anchors].map(([n, a]) => [n, [a.seq, a.recordSeq, a.hash]])), { 'node-a': [8, 9, 'h8'], 'node-b': [2, 3, 'h2'] });
  assert.deepEqual([copy.rejected, copy.unreadable], [1, 1], 'the checkpoint signed by another key is ignored, and counted');
});
