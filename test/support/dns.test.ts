import * as assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { test } from 'node:test';
import { httpRequest } from '../../src/http-client.ts';
import { startTestDns } from './dns.ts';

test('the test DNS answers 127.0.0.1 for any name, no AAAA, and serves TXT, A and CAA records until cleared', async () => {
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

    await dns.setCaa('caa.example.test', [{ tag: 'issue', value: 'ca.example; validationmethods=dns-01' }]);
    assert.deepEqual(await resolver.resolveCaa('caa.example.test'), [{ critical: 0, issue: 'ca.example; validationmethods=dns-01' }]);
    await dns.clearCaa('caa.example.test');
    await assert.rejects(resolver.resolveCaa('caa.example.test'), { code: 'ENODATA' });
  } finally {
    await dns.stop();
  }
});

test('the hook scripts set and clear TXT values through the management API', async () => {
  const dns = await startTestDns();
  try {
    const resolver = new Resolver({ timeout: 1_000, tries: 1 });
    resolver.setServers([dns.dnsAddress]);
    const post = async (path: string, body: unknown): Promise<number> =>
      (await httpRequest(`${dns.managementUrl}${path}`, { method: 'POST', body: JSON.stringify(body) })).status;
    assert.equal(await post('/set-txt', { host: '_acme-challenge.hook.example.test.', value: 'v' }), 200);
    assert.deepEqual(await resolver.resolveTxt('_acme-challenge.hook.example.test'), [['v']]);
    assert.equal(await post('/clear-txt', { host: '_acme-challenge.hook.example.test.' }), 200);
    await assert.rejects(resolver.resolveTxt('_acme-challenge.hook.example.test'), { code: 'ENODATA' });
    assert.equal(await post('/set-a', { host: 'x.example.test' }), 404);
  } finally {
    await dns.stop();
  }
});
