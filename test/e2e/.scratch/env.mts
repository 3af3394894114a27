import { startTestDns } from '../../support/dns.ts';
import { startTarget } from '../../support/acme-target.ts';
import { writeFileSync } from 'node:fs';
const dns = await startTestDns();
const t = await startTarget({ kind: 'pebble', dnsAddress: dns.dnsAddress });
writeFileSync('/tmp/scratch/env.json', JSON.stringify({ dir: t.directoryUrl, ca: t.serverCaPemPath, root: t.issuerRootPemPath, http: t.http01Port, tls: t.tlsAlpn01Port, dns: dns.dnsAddress, mgmt: dns.managementUrl }));
console.log('ready');
setInterval(() => {}, 1000);
setTimeout(() => process.exit(0), 590_000);
