// Real ACME clients through the front. HAProxy runs in tcp mode (TLS passthrough): each client
// connection reaches one node, which presents its own certificate for 127.0.0.1 issued by the
// cluster's CA, so lego and certbot trust the front with the cluster's root alone. Validation jobs
// run on whichever node claims them.
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { createCertbot, createLego, type ClientContext } from '../support/clients.ts';
import { startCluster, type Cluster } from '../support/cluster.ts';
import { startTestDns, type TestDns } from '../support/dns.ts';
import { freePorts } from '../support/free-port.ts';
import { RUN } from './setup.ts';

let dns: TestDns;
let cluster: Cluster;
let ctx: ClientContext;

before(async () => {
  dns = await startTestDns();
  const [http01Port = 0, tlsAlpn01Port = 0] = await freePorts(2);
  cluster = await startCluster({ mode: 'tcp', dnsAddress: dns.dnsAddress, http01Port, tlsAlpn01Port });
  ctx = {
    directoryUrl: cluster.directoryUrl, serverCaPemPath: cluster.rootPemPath, dnsManagementUrl: dns.managementUrl,
    dnsAddress: dns.dnsAddress, http01Port, tlsAlpn01Port,
  };
}, { timeout: 120_000 });

after(async () => {
  await cluster?.stop();
  await dns?.stop();
}, { timeout: 60_000 });

test('lego through HAProxy (tcp passthrough) gets a certificate from the cluster', { timeout: 150_000 }, async () => {
  assert.match(cluster.frontUrl, /^https:/);
  const lego = await createLego(ctx);
  try {
    const cert = await lego.run([`lego.${RUN}.clients.test`]);
    assert.match(await readFile(cert.fullchainPath, 'utf8'), /BEGIN CERTIFICATE[\s\S]+BEGIN CERTIFICATE/);
  } finally {
    await lego.dispose();
  }
});

test('certbot through HAProxy (tcp passthrough) gets a certificate from the cluster', { timeout: 150_000 }, async () => {
  const certbot = await createCertbot(ctx);
  try {
    const cert = await certbot.certonly([`certbot.${RUN}.clients.test`]);
    assert.match(await readFile(cert.fullchainPath, 'utf8'), /BEGIN CERTIFICATE[\s\S]+BEGIN CERTIFICATE/);
  } finally {
    await certbot.dispose();
  }
});
