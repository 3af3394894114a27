import { startTestDns } from '../../support/dns.ts';
import { startPebble } from '../../support/pebble.ts';
const dns = await startTestDns();
const p = await startPebble({ dnsAddress: dns.dnsAddress, http01Port: 5002, tlsAlpn01Port: 5001 });
console.log(p.directoryUrl, p.rootPemPath);
console.log((await p.logTail()));
console.log(await p.certStatus('01').catch((e) => String(e)));
await p.stop(); await dns.stop();
