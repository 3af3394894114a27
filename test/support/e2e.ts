import * as assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { startTarget, targetKindFromEnv } from './acme-target.ts';
import type { AcmeTarget } from './acme-target.ts';
import { dialects as dialectsFromEnv, type Dialect } from './dialects.ts';
import type { ClientContext, IssuedCert } from './clients.ts';
import { startTestDns } from './dns.ts';
import type { TestDns } from './dns.ts';
import { httpRequest } from '../../src/http-client.ts';
import { startPostgres } from './postgres.ts';
import type { PgCluster } from './postgres.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { waitFor } from './wait.ts';
import {
  certSerial,
  crlDistributionPoints,
  crlSerials,
  expectedSans,
  subjectAltNames,
  verifyChain,
  verifyCrlSignature,
} from './x509.ts';

const HOOK_LIMIT = { timeout: 120_000 };

/** What one end-to-end test gets: a running ACME server on one dialect, and the test DNS. */
interface E2eEnv {
  readonly dialect: Dialect;
  readonly target: AcmeTarget;
  readonly dns: TestDns;
  /** Everything a client wrapper needs to talk to `target`. */
  readonly client: ClientContext;
}

/** Declares one test; `skip` (a reason) marks a case the tools cannot exercise yet. */
export type E2eTest = (
  name: string,
  fn: (env: E2eEnv, t: TestContext) => Promise<void>,
  options?: { readonly skip?: string },
) => void;

/**
 * Declares `body`'s tests once per dialect in `DIALECTS`, against `E2E_TARGET`. The test DNS
 * (and PostgreSQL, if needed) start once per file, the ACME server once per dialect; on failure
 * the tail of the server's log is printed.
 */
export function describePerDialect(title: string, body: (it: E2eTest, dialect: Dialect) => void): void {
  const kind = targetKindFromEnv();
  const dialects = dialectsFromEnv();
  describe(`${title} (${kind})`, () => {
    let dns: TestDns | undefined;
    let pg: PgCluster | undefined;
    before(async () => {
      dns = await startTestDns();
      if (dialects.includes('postgres')) pg = await startPostgres();
    }, HOOK_LIMIT);
    after(async () => {
      await dns?.stop();
      await pg?.stop();
    }, HOOK_LIMIT);
    for (const dialect of dialects) {
      // Pebble keeps everything in memory and ignores the database; the PostgreSQL cluster is
      // still started so the harness is exercised the same way for both targets.
      describe(dialect, () => {
        let env: E2eEnv | undefined;
        before(async () => {
          assert.ok(dns);
          const databaseUrl = dialect === 'postgres' ? await pg?.createDatabase() : undefined;
          const target = await startTarget({ kind, dnsAddress: dns.dnsAddress, ...(databaseUrl === undefined ? {} : { databaseUrl }) });
          env = {
            dialect,
            target,
            dns,
            client: {
              directoryUrl: target.directoryUrl,
              serverCaPemPath: target.serverCaPemPath,
              dnsManagementUrl: dns.managementUrl,
              dnsAddress: dns.dnsAddress,
              http01Port: target.http01Port,
              tlsAlpn01Port: target.tlsAlpn01Port,
            },
          };
        }, HOOK_LIMIT);
        after(async () => {
          await env?.target.stop();
        }, HOOK_LIMIT);
        const it: E2eTest = (name, fn, options = {}) => {
          // The client commands have their own limits; this is the backstop for the whole test.
          void test(name, { skip: options.skip ?? false, timeout: 300_000 }, async (t) => {
            assert.ok(env, 'the ACME server did not start');
            try {
              await fn(env, t);
            } catch (err) {
              console.error(`--- ${env.target.kind} log tail (${name}) ---\n${await env.target.logTail(80)}`);
              throw err;
            }
          });
        };
        body(it, dialect);
      });
    }
  });
}

/** The leaf chains to the target's root through the returned intermediates, with exactly `names` as SANs. */
export async function assertIssued(target: AcmeTarget, cert: IssuedCert, names: readonly string[]): Promise<void> {
  await verifyChain({ rootPemPath: target.issuerRootPemPath, untrustedPemPath: cert.chainPath, leafPemPath: cert.certPath });
  assert.deepEqual((await subjectAltNames(cert.certPath)).sort(), expectedSans(names));
}

/**
 * The certificate's serial is listed in the CRL its CRL distribution point serves (fetched with
 * the root trusted, DER, signed by the issuer). Pebble has no CRL: for Pebble alone the CRL
 * check is skipped and its management API must report the certificate revoked instead.
 */
export async function assertRevoked(target: AcmeTarget, cert: IssuedCert, t: TestContext): Promise<void> {
  const serial = await certSerial(cert.certPath);
  if (!target.servesCrl) {
    assert.equal(target.kind, 'pebble', 'only Pebble may skip the CRL check');
    t.diagnostic('Pebble has no CRL: CRL check skipped, revocation checked through its management API');
    assert.ok(target.revocationStatus);
    assert.equal(await target.revocationStatus(serial), 'Revoked');
    return;
  }
  const points = await crlDistributionPoints(cert.certPath);
  const crlUrl = points[0];
  assert.ok(crlUrl !== undefined, 'the leaf has no CRL distribution point');
  const dir = await makeTempDir('crl');
  try {
    const crlPath = join(dir, 'crl.der');
    const ca = await readFile(target.issuerRootPemPath);
    // The CRL may be regenerated asynchronously after the revocation: poll, bounded.
    const listed = await waitFor(
      async () => {
        const res = await httpRequest(crlUrl, { ca });
        assert.equal(res.status, 200, `GET ${crlUrl} answered ${res.status}`);
        await writeFile(crlPath, res.body);
        return (await crlSerials(crlPath)).includes(serial) ? true : undefined;
      },
      { what: `serial ${serial} in the CRL at ${crlUrl}`, timeoutMs: 15_000, intervalMs: 500 },
    );
    assert.equal(listed, true);
    const issuers = join(dir, 'issuers.pem');
    await writeFile(issuers, `${await readFile(cert.chainPath, 'utf8')}\n${await readFile(target.issuerRootPemPath, 'utf8')}`);
    await verifyCrlSignature(crlPath, issuers);
  } finally {
    await removeDir(dir);
  }
}
