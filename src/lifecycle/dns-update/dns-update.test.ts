import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { signMessage, tsigOf, verifyResponse, type TsigAlgorithm } from './tsig.ts';
import { updateMessage } from './update.ts';
import { CLASS, encodeName, parseMessage, readName, readTxt, TYPE } from './wire.ts';

// UPDATE messages written by BIND's `nsupdate -y <alg>:certainty.:<secret>` (secret: 32 bytes of 7)
// for `update add|delete _acme-challenge.example.test 60 TXT "<value>"` in zone example.test.
const VALUE = 'lCdftpJCXapaZHkBGIZbcubeKW8RmA0jSG_aZN01zbU';
const NSUPDATE_SECRET = Buffer.alloc(32, 7);
const NSUPDATE: Array<{ algorithm: TsigAlgorithm; action: 'add' | 'delete'; hex: string }> = [
  { algorithm: 'hmac-sha256', action: 'add', hex: '2a0528000001000000010001076578616d706c65047465737400000600010f5f61636d652d6368616c6c656e6765c00c001000010000003c002c2b6c43646674704a43586170615a486b4247495a62637562654b5738526d41306a53475f615a4e30317a6255096365727461696e74790000fa00ff00000000003d0b686d61632d7368613235360000006b11170a012c0020ac046bdaf25e63fecf3f5a10e69bf6439ce738bd615da9b434b2b3787c9710352a0500000000' },
  { algorithm: 'hmac-sha512', action: 'delete', hex: '25d128000001000000010001076578616d706c65047465737400000600010f5f61636d652d6368616c6c656e6765c00c001000fe00000000002c2b6c43646674704a43586170615a486b4247495a62637562654b5738526d41306a53475f615a4e30317a6255096365727461696e74790000fa00ff00000000005d0b686d61632d7368613531320000006b11170e012c0040fb5b234d81df2f65649368aff1ad20d2000889272fa3671e9ce0dd0a1ac75cf53ce01d85f371010a328db9b9fe4a26305bffb938d18504bbcab3d534c8ed866825d100000000' },
  { algorithm: 'hmac-sha1', action: 'add', hex: '8b3228000001000000010001076578616d706c65047465737400000600010f5f61636d652d6368616c6c656e6765c00c001000010000003c002c2b6c43646674704a43586170615a486b4247495a62637562654b5738526d41306a53475f615a4e30317a6255096365727461696e74790000fa00ff00000000002f09686d61632d736861310000006b111711012c0014981d75965ba0a5d2f3c3a2a04b979bd32f0db0f68b3200000000' },
];

// BIND 9's answer to an update signed with hmac-sha256 (request MAC below), signed by the server.
const BIND_SECRET = Buffer.from('oSpioVLpGaGd10byBiZFINLPsBvhUdRbnHThfaxE0Nw=', 'base64');
const BIND_REQUEST_MAC = Buffer.from('73bdac912e04103be7806db602a5121289149ed4eecdbf39546a5313c0e129bf', 'hex');
const BIND_RESPONSE = Buffer.from('1234a8000001000000000001076578616d706c6504746573740000060001096365727461696e74790000fa00ff00000000003d0b686d61632d7368613235360000006b111722012c002015a58832c6c073781689b68a5161296568e5bed59bc3a7787f6f95921c103643123400000000', 'hex');

test('a TSIG signature matches nsupdate\'s byte for byte (hmac-sha256, -sha512, -sha1)', () => {
  for (const v of NSUPDATE) {
    const msg = Buffer.from(v.hex, 'hex');
    const tsig = tsigOf(msg, parseMessage(msg));
    assert.ok(tsig, 'nsupdate signed the message');
    const unsigned = Buffer.from(msg.subarray(0, tsig.rr.offset));
    unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
    const { signed, mac } = signMessage(unsigned, { name: 'certainty.', algorithm: v.algorithm, secret: NSUPDATE_SECRET }, tsig.fields.timeSigned);
    assert.equal(signed.toString('hex'), v.hex, v.algorithm);
    assert.deepEqual(mac, tsig.fields.mac);
  }
});

test('the UPDATE carries what nsupdate\'s does: zone SOA, then the TXT record added or deleted', () => {
  for (const v of NSUPDATE) {
    const theirs = parseMessage(Buffer.from(v.hex, 'hex'));
    const mine = parseMessage(updateMessage(theirs.header.id, 'example.test.', [{ action: v.action, name: '_acme-challenge.Example.test', value: VALUE, ttl: 60 }]));
    assert.equal(mine.header.flags, theirs.header.flags);
    assert.deepEqual(mine.header.counts, [1, 0, 1, 0]);
    const strip = (rr: { name: string; type: number; cls: number; ttl: number; rdata: Buffer }) => ({ name: rr.name, type: rr.type, cls: rr.cls, ttl: rr.ttl, rdata: rr.rdata.toString('hex') });
    // The update section is where a query's authority section is (RFC 2136 §2: same layout).
    assert.deepEqual(mine.authority.map(strip), theirs.authority.map(strip));
    assert.equal(mine.authority[0]?.cls, v.action === 'add' ? CLASS.IN : CLASS.NONE);
    assert.equal(readTxt(mine.authority[0]?.rdata ?? Buffer.alloc(0)), VALUE);
  }
});

test('a server\'s signed answer verifies; altered bytes, another request MAC or another key do not', () => {
  const key = { name: 'certainty.', algorithm: 'hmac-sha256' as const, secret: BIND_SECRET };
  const tsigFor = (msg: Buffer) => {
    const t = tsigOf(msg, parseMessage(msg));
    assert.ok(t);
    return t;
  };
  assert.equal(verifyResponse(BIND_RESPONSE, tsigFor(BIND_RESPONSE), key, BIND_REQUEST_MAC), true);
  const altered = Buffer.from(BIND_RESPONSE);
  altered[3] = 0x05; // RCODE REFUSED
  assert.equal(verifyResponse(altered, tsigFor(altered), key, BIND_REQUEST_MAC), false);
  assert.equal(verifyResponse(BIND_RESPONSE, tsigFor(BIND_RESPONSE), key, Buffer.alloc(32)), false);
  assert.equal(verifyResponse(BIND_RESPONSE, tsigFor(BIND_RESPONSE), { ...key, secret: NSUPDATE_SECRET }, BIND_REQUEST_MAC), false);
  assert.equal(verifyResponse(BIND_RESPONSE, tsigFor(BIND_RESPONSE), { ...key, name: 'other.' }, BIND_REQUEST_MAC), false);
});

test('names: lowercase, no trailing dot; compression pointers followed; loops and overlong labels refused', () => {
  assert.equal(encodeName('Example.TEST.').toString('hex'), '076578616d706c650474657374' + '00');
  const msg = Buffer.concat([Buffer.from('03616263', 'hex'), Buffer.from([0]), Buffer.from('0378797ac000', 'hex')]);
  assert.deepEqual(readName(msg, 5), { name: 'xyz.abc', next: 11 });
  assert.throws(() => readName(Buffer.from('c000', 'hex'), 0), /compression loop/);
  assert.throws(() => encodeName(`${'a'.repeat(64)}.test`), /longer than 63/);
  assert.throws(() => parseMessage(Buffer.alloc(5)), /shorter than its header/);
  assert.equal(TYPE.TSIG, 250);
});
