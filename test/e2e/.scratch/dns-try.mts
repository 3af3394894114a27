import { startTestDns } from '/work/main/test/support/dns.ts';
import { Resolver } from 'node:dns/promises';
const dns = await startTestDns();
console.log(dns.dnsAddress, dns.managementUrl);
await dns.setTxt('_acme-challenge.a.example.test', 'v1');
await dns.setTxt('_acme-challenge.a.example.test', 'v2');
const r = new Resolver({ timeout: 500, tries: 1 }); r.setServers([dns.dnsAddress]);
console.log(await r.resolveTxt('_acme-challenge.a.example.test'));
console.log(await r.resolve4('x.example.test'));
try { console.log(await r.resolve6('x.example.test')); } catch (e) { console.log('aaaa', (e as Error).message); }
await dns.addA('b.example.test', ['127.0.0.2']);
console.log(await r.resolve4('b.example.test'));
await dns.clearTxt('_acme-challenge.a.example.test');
try { console.log(await r.resolveTxt('_acme-challenge.a.example.test')); } catch (e) { console.log('txt', (e as Error).message); }
await dns.stop();
console.log('stopped');
