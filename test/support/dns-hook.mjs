#!/usr/bin/env node
// Publishes dns-01 TXT records in the test DNS (test/support/dns.ts) for ACME clients' hooks.
//   certbot --manual-auth-hook:    dns-hook.mjs certbot-auth     (CERTBOT_DOMAIN, CERTBOT_VALIDATION)
//   certbot --manual-cleanup-hook: dns-hook.mjs certbot-cleanup
//   lego --dns exec (EXEC_PATH):   dns-hook.mjs present|cleanup <fqdn> <value>
// TEST_DNS_URL is its management API, e.g. http://127.0.0.1:8055.
import { request } from 'node:http';

function post(path, body) {
  const base = process.env.TEST_DNS_URL;
  if (!base) throw new Error('TEST_DNS_URL is not set');
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path} answered ${res.statusCode}`))));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const fqdn = (name) => (name.endsWith('.') ? name : `${name}.`);
const [mode, name, value] = process.argv.slice(2);

switch (mode) {
  case 'certbot-auth':
    await post('/set-txt', { host: fqdn(`_acme-challenge.${process.env.CERTBOT_DOMAIN}`), value: process.env.CERTBOT_VALIDATION });
    break;
  case 'certbot-cleanup':
    await post('/clear-txt', { host: fqdn(`_acme-challenge.${process.env.CERTBOT_DOMAIN}`) });
    break;
  case 'present':
    await post('/set-txt', { host: fqdn(name), value });
    break;
  case 'cleanup':
    await post('/clear-txt', { host: fqdn(name) });
    break;
  default:
    console.error(`dns-hook: unknown mode ${mode}`);
    process.exit(2);
}
