import * as assert from 'node:assert/strict';
import { createCertbot } from '../support/clients.ts';
import { assertIssued, assertRevoked, describePerDialect } from '../support/e2e.ts';
import { certSerial } from '../support/x509.ts';

// certbot 2.1 has no tls-alpn-01 and no IP identifiers; lego covers those.
describePerDialect('certbot', (it, dialect) => {
  const domain = `${dialect}.certbot.example.test`;

  it('issues a single-name certificate over http-01', async (env) => {
    const certbot = await createCertbot(env.client);
    try {
      const names = [`single.${domain}`];
      const cert = await certbot.certonly(names);
      await assertIssued(env.target, cert, names);
    } finally {
      await certbot.dispose();
    }
  });

  it('issues a multi-name certificate over http-01', async (env) => {
    const certbot = await createCertbot(env.client);
    try {
      const names = [`multi.${domain}`, `www.multi.${domain}`, `api.multi.${domain}`];
      const cert = await certbot.certonly(names);
      await assertIssued(env.target, cert, names);
    } finally {
      await certbot.dispose();
    }
  });

  it('issues a wildcard certificate over dns-01 with manual hooks', async (env) => {
    const certbot = await createCertbot(env.client);
    try {
      const names = [`*.wild.${domain}`, `wild.${domain}`];
      const cert = await certbot.certonly(names, { challenge: 'dns-01' });
      await assertIssued(env.target, cert, names);
    } finally {
      await certbot.dispose();
    }
  });

  it('renews a certificate', async (env) => {
    const certbot = await createCertbot(env.client);
    try {
      const names = [`renew.${domain}`];
      const first = await certbot.certonly(names);
      const before = await certSerial(first.certPath);
      const renewed = await certbot.renew(`renew.${domain}`);
      assert.notEqual(await certSerial(renewed.certPath), before);
      await assertIssued(env.target, renewed, names);
    } finally {
      await certbot.dispose();
    }
  });

  it('revokes a certificate and the CRL lists it', async (env, t) => {
    const certbot = await createCertbot(env.client);
    try {
      const names = [`revoke.${domain}`];
      const cert = await certbot.certonly(names);
      await certbot.revoke(cert.certPath, 'keycompromise');
      await assertRevoked(env.target, cert, t);
    } finally {
      await certbot.dispose();
    }
  });
});
