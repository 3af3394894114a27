import * as assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { test } from 'node:test';
import { startTestDns } from './dns.ts';

test('the test DNS answers 127.0.0.1 for any name, no AAAA, and serves TXT values until cleared', async () => {
  const dns = await startTestDns();
  try {
    const resolver = new Resolver({ timeout: 1_000, tries: 1 });
    resolver.setServers([dns.dnsAddress]);
    assert.deepEqual(await resolver.resolve4('anything.example.test'), ['127.0.0.1']);
    await assert.rejects(resolver.resolve6('anything.example.test'), { code: 'ENODATA' });

    await dns.setTxt('_acme-challenge.txt.example.test', 'one');
    await dns.setTxt('_acme-challenge.txt.example.test.', 'two');
    const values = (await resolver.resolveTxt('_acme-challenge.txt.example.test')).map((chunks) => chunks.join(''));
    assert.deepEqual(values.sort(), ['one', 'two']);
    await dns.clearTxt('_acme-challenge.txt.example.test');
    await assert.rejects(resolver.resolveTxt('_acme-challenge.txt.example.test'), { code: 'ENODATA' });

    await dns.addA('moved.example.test', ['127.0.0.2']);
    assert.deepEqual(await resolver.resolve4('moved.example.test'), ['127.0.0.2']);
    await dns.clearA('moved.example.test');
    assert.deepEqual(await resolver.resolve4('moved.example.test'), ['127.0.0.1']);
  } finally {
    await dns.stop();
  }
});
