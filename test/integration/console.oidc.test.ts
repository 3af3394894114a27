// Web console single sign-on in a real browser: Chromium (playwright-core) signs in through a
// local OpenID provider (npm oidc-provider on loopback, its development login and consent pages);
// the user's group decides the role, and a user in no mapped group is refused.
import * as assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Provider from 'oidc-provider';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openDb } from '../../src/config/database.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { testCli } from '../support/cli.ts';
import { freePort } from '../support/free-port.ts';
import { startNode, type TestNode } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SECRET = 'console-client-secret-for-the-test-only';
const GROUPS: Record<string, string[]> = { alice: ['staff', 'pki-viewers'], mallory: ['staff'] };

describe('web console single sign-on (OpenID Connect, sqlite)', { timeout: 180_000 }, () => {
  let node: TestNode;
  let op: Server;
  let browser: Browser;
  let dir: string;
  const { cliOk } = testCli(() => ({ CERTAINTY_DATA_DIR: node.dataDir }));

  before(async () => {
    dir = await makeTempDir('console-oidc');
    await writeFile(join(dir, 'client-secret'), `${SECRET}\n`, { mode: 0o600 });
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    node = await startNode({
      set: {
        'console.oidc.issuer': issuer, 'console.oidc.clientId': 'certainty-console', 'console.oidc.clientSecretFile': join(dir, 'client-secret'),
        'console.oidc.roleMap': 'pki-admins=admin,pki-viewers=viewer',
      },
    });
    const provider = new Provider(issuer, {
      clients: [{ client_id: 'certainty-console', client_secret: SECRET, redirect_uris: [`${node.baseUrl}/console/oidc/callback`], token_endpoint_auth_method: 'client_secret_post' }],
      findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, preferred_username: id, groups: GROUPS[id] ?? [] }) }),
      claims: { openid: ['sub'], profile: ['preferred_username', 'groups'] },
      conformIdTokenClaims: false,
      cookies: { keys: ['test-cookie-key-0123456789'] },
    });
    const callback = provider.callback();
    op = createServer((req, res) => void callback(req, res));
    await new Promise<void>((resolve) => op.listen(port, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    op?.closeAllConnections();
    await new Promise((r) => (op ? op.close(r) : r(undefined)));
    await node?.stop();
    if (dir) await removeDir(dir);
  });

  /** From the console's sign-in page through the provider's login and consent, as `login`. */
  const signInAs = async (login: string): Promise<Page> => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 760 } });
    // The provider's development pages link a web font: nothing leaves the machine.
    await context.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort());
    const page = await context.newPage();
    await page.goto(`${node.baseUrl}/console/login`);
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    return page;
  };

  test('a user whose group maps to viewer signs in with the viewer role', async () => {
    const page = await signInAs('alice');
    await page.waitForURL(`${node.baseUrl}/console/`);
    assert.match(await page.locator('.who').innerText(), /oidc:alice \(viewer\)/);
    assert.equal(await page.getByRole('heading', { name: 'Dashboard' }).count(), 1);
    const session = (await page.context().cookies()).find((c) => c.name === '__Host-certainty_session');
    assert.equal(session?.sameSite, 'Strict');
    assert.equal((await page.context().cookies()).some((c) => c.name === '__Host-certainty_oidc'), false, 'the sign-in cookie is cleared');
    await page.goto(`${node.baseUrl}/console/certificates`);
    assert.equal(await page.getByRole('button', { name: 'Revoke' }).count(), 0);
    await page.screenshot({ path: join(REPO_ROOT, 'docs', 'console', 'oidc.png') });
    await page.context().close();
  });

  test('an operator ends a single sign-on user\'s sessions by subject: the role chosen at sign-in ends with them', async () => {
    const page = await signInAs('alice');
    await page.waitForURL(`${node.baseUrl}/console/`);
    const listed = JSON.parse(await cliOk('console', 'sessions', '--json')) as Array<{ kind: string; subject: string; role: string }>;
    assert.ok(listed.some((s) => s.kind === 'oidc' && s.subject === 'oidc:alice' && s.role === 'viewer'), JSON.stringify(listed));
    assert.match(await cliOk('console', 'sign-out', '--subject', 'oidc:alice'), /^Ended [1-9]\d* console sessions?;/);
    await page.goto(`${node.baseUrl}/console/`);
    assert.match(page.url(), /\/console\/login$/);
    assert.equal((JSON.parse(await cliOk('console', 'sessions', '--json')) as Array<{ subject: string }>).some((s) => s.subject === 'oidc:alice'), false);
    await page.context().close();
  });

  test('a user in no mapped group is refused with a page that says why', async () => {
    const page = await signInAs('mallory');
    await page.waitForURL(/\/console\/oidc\/callback/);
    assert.match(await page.getByRole('alert').innerText(), /mallory is signed in at the provider but in none of the groups the console maps to a role \(pki-admins, pki-viewers\)/);
    assert.equal((await page.context().cookies()).some((c) => c.name === '__Host-certainty_session'), false);
    await page.context().close();
  });

  test('an answer with a state this console never issued is refused', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const res = await page.goto(`${node.baseUrl}/console/oidc/callback?code=x&state=never-issued`);
    assert.equal(res?.status(), 403);
    assert.match(await page.getByRole('alert').innerText(), /unknown, was already used, expired/);
    await context.close();
  });

  test('single sign-ons and refusals are in the audit log', async () => {
    const db = openDb(node.config);
    try {
      const rows = await db.query<{ action: string; actor: string; details: string }>(
        "SELECT action, actor, details FROM audit_records WHERE action IN ('console.signed-in', 'console.sign-in-refused') ORDER BY seq",
      );
      const signedIn = rows.filter((r) => r.action === 'console.signed-in');
      assert.ok(signedIn.some((r) => r.actor === 'oidc:alice' && r.details.includes('"role":"viewer"')), JSON.stringify(rows));
      const refused = rows.filter((r) => r.action === 'console.sign-in-refused').map((r) => r.details);
      assert.ok(refused.some((d) => d.includes('none of the groups')), JSON.stringify(rows));
      assert.ok(refused.some((d) => d.includes('unknown, was already used')), JSON.stringify(rows));
    } finally {
      await db.close();
    }
  });
});
