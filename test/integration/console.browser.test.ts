// The web console in a real browser: Debian's Chromium driven by playwright-core against a node,
// signed in with admin tokens. Each page's screenshot is written to docs/console/ for the docs.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { openDb } from '../../src/config/database.ts';
import { SqlNodeStore } from '../../src/store/cluster-store.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { certificateFacts, fetchCrl } from '../support/crl.ts';
import { runUnchecked } from '../support/run.ts';
import { sshKeyPair } from '../support/sshd.ts';
import { waitFor } from '../support/wait.ts';
import { normalizeSerial } from '../support/x509.ts';

const SHOTS = join(REPO_ROOT, 'docs', 'console');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NAME = 'console.example.test';
const REPORT = 'drill-2026-12-01T02-00-00-000Z.html';

describe('web console in Chromium (sqlite)', { timeout: 240_000 }, () => {
  let acme: AcmeNode;
  let browser: Browser;
  let base: string;
  let admin: { id: string; token: string };
  let viewer: { id: string; token: string };
  let cert: { serial: string; crlUrl: string };
  // Deploy targets write here; drill reports are read from its `reports` directory.
  const scratch = mkdtempSync(join(tmpdir(), 'console-browser-'));
  const reports = join(scratch, 'reports');

  const cli = async (...args: string[]): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), ...args, '--json'], { env: { CERTAINTY_DATA_DIR: acme.node.dataDir }, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const api = async (method: string, path: string, body: unknown): Promise<number> =>
    (await acme.transport.request(method, base + path, JSON.stringify(body), { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' })).status;

  const signIn = async (token: string): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    await page.goto(`${base}/console/`);
    assert.match(page.url(), /\/console\/login$/);
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/console/`);
    return { context, page };
  };
  const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

  before(async () => {
    // Certificates valid for two days: each one is "about to expire" on the dashboard.
    mkdirSync(reports);
    writeFileSync(join(reports, REPORT), '<!doctype html><title>Drill report</title><h1>Drill: node-kill passed</h1>');
    writeFileSync(join(scratch, 'outside.html'), '<p>outside the reports directory</p>');
    symlinkSync(join(scratch, 'outside.html'), join(reports, 'link.html'));
    acme = await startAcmeNode('sqlite', { set: { 'policy.defaultValidityDays': '2', 'console.drillReports': reports } });
    base = acme.node.baseUrl;
    admin = await cli('token', 'create', 'console-admin');
    viewer = await cli('token', 'create', 'console-viewer', '--role', 'viewer');
    acme.dns.set(NAME, { A: ['127.0.0.1'] });
    const client = await acme.newClient();
    const issued = await client.issue({ identifiers: [NAME], challengeType: 'http-01', solver: acme.responder });
    cert = await certificateFacts(issued.certificatePem);
    // A second node that shut down: its row as its own runtime leaves it (registered, then a last "stopped" heartbeat).
    const db = openDb(acme.node.config);
    try {
      const nodes = new SqlNodeStore(db);
      await nodes.register({ id: 'node-b', instance: 'gone', version: 'test', address: '127.0.0.1:1' });
      assert.ok(await nodes.heartbeat('node-b', 'gone', 'stopped'));
    } finally {
      await db.close();
    }
    assert.equal(await api('PUT', '/admin/secrets/data/app/db', { data: { password: 'hunter2-console' } }), 200);
    assert.equal(await api('PUT', '/admin/secrets/metadata/app/db', { revealReasonRequired: true }), 200);
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await acme?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('token login: the dashboard shows the certificate about to expire and the stopped node', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    await page.goto(`${base}/console/login`);
    await shot(page, 'login');
    await page.getByLabel('Admin token').fill('cty_000000000000_' + 'x'.repeat(32));
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.getByRole('alert').innerText(), /not valid/);
    await context.close();

    const { context: signed, page: dash } = await signIn(admin.token);
    const attention = await dash.locator('.attention').innerText();
    assert.match(attention, new RegExp(`Certificate ${NAME.replace(/\./g, '\\.')} expires in 2 d|Certificate ${NAME.replace(/\./g, '\\.')} expires in 1 d`));
    assert.match(attention, /Node node-b is stopped/);
    const cookies = await signed.cookies();
    const session = cookies.find((c) => c.name === '__Host-certainty_session');
    assert.ok(session, 'session cookie set');
    assert.equal(session.secure, true);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    const headers = (await dash.request.get(`${base}/console/`)).headers();
    assert.match(headers['content-security-policy'] ?? '', /default-src 'self'; script-src 'none'/);
    await shot(dash, 'dashboard');
    for (const [path, name] of [['accounts', 'accounts'], ['managed', 'managed'], ['ssh', 'ssh'], ['cluster', 'cluster']] as const) {
      await dash.goto(`${base}/console/${path}`);
      assert.equal(await dash.getByRole('alert').count(), 0, `${path} shows an error`);
      await shot(dash, name);
    }
    await dash.getByRole('button', { name: 'Sign out' }).click();
    await dash.waitForURL(`${base}/console/login`);
    await dash.goto(`${base}/console/`);
    assert.match(dash.url(), /\/console\/login$/, 'signed out: back to the sign-in page');
    await signed.close();
  });

  test('the operator lists console sessions and signs one out from the CLI: that browser is back at the sign-in page, and it is audited', async () => {
    type Listed = { handle: string; kind: string; subject: string; role: string };
    const before = new Set(((await cli('console', 'sessions')) as Listed[]).map((s) => s.handle));
    const { context, page } = await signIn(viewer.token);
    const added = ((await cli('console', 'sessions')) as Listed[]).filter((s) => !before.has(s.handle));
    assert.equal(added.length, 1, 'one new session');
    const mine = added[0] as Listed;
    assert.match(mine.handle, /^[0-9a-f]{12}$/);
    assert.deepEqual([mine.kind, mine.subject, mine.role], ['token', viewer.id, 'viewer']);
    assert.deepEqual(await cli('console', 'sign-out', mine.handle), { ended: 1 });
    await page.goto(`${base}/console/`);
    assert.match(page.url(), /\/console\/login$/, 'the ended session no longer signs in');
    const records = (await cli('audit', 'list', '--action', 'console.sessions-ended')) as Array<{ details?: { ended?: number; what?: string } }>;
    assert.ok(records.some((r) => r.details?.ended === 1 && r.details.what === `session ${mine.handle}`), JSON.stringify(records));
    const again = await runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'console', 'sign-out', mine.handle], { env: { CERTAINTY_DATA_DIR: acme.node.dataDir }, timeoutMs: 30_000 });
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /No console session matches session [0-9a-f]{12}; "certainty console sessions" lists them/);
    await context.close();
  });

  test('a viewer sees no revoke button, and a forged revoke with a valid session and CSRF token is refused', async () => {
    const { context, page } = await signIn(viewer.token);
    await page.goto(`${base}/console/certificates?q=${NAME}`);
    assert.equal(await page.getByRole('cell', { name: NAME }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Revoke' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Secrets' }).count(), 0, 'a viewer cannot list secrets');
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const forged = await context.request.post(`${base}/console/certificates/revoke`, { form: { csrf, serial: cert.serial, reason: '1' }, headers: { Origin: base } });
    assert.equal(forged.status(), 403);
    assert.match(await forged.text(), /needs the &quot;acme\.manage&quot; permission/);
    const noCsrf = await context.request.post(`${base}/console/certificates/revoke`, { form: { csrf: 'x', serial: cert.serial, reason: '1' }, headers: { Origin: base } });
    assert.equal(noCsrf.status(), 403);
    assert.match(await noCsrf.text(), /CSRF token does not match/);
    await context.close();
    const crl = await fetchCrl(cert.crlUrl, acme.node.rootPem);
    assert.ok(!crl.serials.has(normalizeSerial(cert.serial)), 'still valid after the refused revoke');
  });

  test('revoking from the UI puts the certificate on the CRL', async () => {
    const { context, page } = await signIn(admin.token);
    await page.goto(`${base}/console/certificates?q=${NAME}`);
    await page.getByLabel('Reason').selectOption({ label: 'keyCompromise' });
    await shot(page, 'certificates');
    await page.getByRole('button', { name: 'Revoke' }).click();
    assert.match(await page.getByRole('status').innerText(), /revoked \(keyCompromise\)/);
    await context.close();
    const crl = await fetchCrl(cert.crlUrl, acme.node.rootPem);
    assert.ok(crl.serials.has(normalizeSerial(cert.serial)), `${cert.serial} on the CRL`);
  });

  test('revealing a secret asks the reason its path requires and lands in the audit log', async () => {
    const { context, page } = await signIn(admin.token);
    await page.goto(`${base}/console/secrets`);
    assert.equal(await page.getByText('hunter2-console').count(), 0, 'the list shows metadata only');
    await page.getByLabel('Reason (required)').fill('rotate db-2 credentials');
    await shot(page, 'secrets');
    await page.getByRole('button', { name: 'Reveal' }).click();
    assert.equal(await page.getByText('hunter2-console').count(), 1);
    await page.goto(`${base}/console/audit?action=secret.revealed&object=secret:app/db`);
    const rows = await page.locator('tbody tr').allInnerTexts();
    assert.ok(rows.some((r) => r.includes(`token:${admin.id}`) && r.includes('rotate db-2 credentials') && r.includes('success')), rows.join('\n'));
    await page.goto(`${base}/console/audit?verify=1`);
    assert.match(await page.locator('#verify + p').innerText(), /Every chain is intact/);
    await shot(page, 'audit');
    await context.close();
  });

  test('a managed certificate shows each target\'s last deploy; drill reports are listed and served sandboxed, nothing outside them', async () => {
    const hour = new Date().getUTCHours();
    const hh = (h: number): string => `${String(h % 24).padStart(2, '0')}:00`;
    writeFileSync(join(scratch, 'not-a-directory'), '');
    assert.equal(await api('POST', '/admin/issuers', { name: 'own', kind: 'local' }), 201);
    assert.equal(await api('POST', '/admin/managed', {
      name: 'web', issuer: 'own', names: ['deploy.example.test'], validityDays: 2, targets: [
        { type: 'file', certPath: join(scratch, 'web.pem') },
        { type: 'file', certPath: join(scratch, 'not-a-directory', 'web.pem') },
        { type: 'file', certPath: join(scratch, 'later.pem'), window: { start: hh(hour + 3), end: hh(hour + 5) } },
      ],
    }), 201);
    const states = await waitFor(async () => {
      const r = await acme.transport.request('GET', `${base}/admin/managed/web`, undefined, { authorization: `Bearer ${admin.token}` });
      const got = (r.body.deploys as Array<{ state: string }>).map((d) => d.state).join(',');
      return got === 'deployed,failed,waiting' ? got : undefined;
    }, { what: 'the three deploy outcomes', timeoutMs: 30_000, intervalMs: 300 });
    assert.equal(states, 'deployed,failed,waiting');

    const { context, page } = await signIn(admin.token);
    await page.goto(`${base}/console/managed/web`);
    const rows = await page.locator('table').first().locator('tbody tr').allInnerTexts();
    assert.match(rows[0] ?? '', /deployed/);
    assert.match(rows[1] ?? '', /failed\s+.*ENOTDIR|failed\s+.*not a directory/i);
    assert.match(rows[2] ?? '', new RegExp(`waiting\\s+waiting for its maintenance window \\(${hh(hour + 3)}–${hh(hour + 5)}\\)`));
    await shot(page, 'managed-detail');

    await page.goto(`${base}/console/drills`);
    assert.equal(await page.getByRole('link', { name: 'link.html' }).count(), 0, 'a symbolic link is not listed');
    await shot(page, 'drills');
    await page.getByRole('link', { name: REPORT }).click();
    await page.waitForURL(`${base}/console/drills/${REPORT}`);
    assert.equal(await page.getByRole('heading', { name: 'Drill: node-kill passed' }).count(), 1);
    const served = await context.request.get(`${base}/console/drills/${REPORT}`);
    assert.match(served.headers()['content-security-policy'] ?? '', /^sandbox; default-src 'none'/);
    for (const path of ['/console/drills/..%2Foutside.html', '/console/drills/link.html', '/console/drills/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd']) {
      const refused = await context.request.get(base + path);
      assert.equal(refused.status(), 404, path);
      assert.doesNotMatch(await refused.text(), /outside the reports directory|root:/, path);
    }
    const direct = await acme.transport.request('GET', `${base}/admin/drill-reports/..%2Foutside.html`, undefined, { authorization: `Bearer ${admin.token}` });
    assert.equal(direct.status, 404);
    await context.close();

    const { context: viewing, page: viewerPage } = await signIn(viewer.token);
    await viewerPage.goto(`${base}/console/drills`);
    assert.equal(await viewerPage.getByRole('link', { name: REPORT }).count(), 1, 'status.read is enough');
    await viewing.close();
  });

  test('EAB keys, account deactivation and SSH revocation from the forms; a viewer sees none of them', async () => {
    assert.equal(await api('POST', '/admin/ssh/cas', { kind: 'user', algorithm: 'ed25519' }), 201);
    assert.equal(await api('PUT', '/admin/ssh/roles/dev', { kind: 'user', principals: ['deploy'], ttl: '1h', maxTtl: '8h' }), 200);
    const key = await sshKeyPair(scratch, 'id_ed25519', 'ed25519');
    assert.equal(await api('POST', '/admin/ssh/sign', { role: 'dev', publicKey: key.publicKey }), 201);

    const { context: viewing, page: view } = await signIn(viewer.token);
    for (const path of ['accounts', 'ssh']) {
      await view.goto(`${base}/console/${path}`);
      assert.equal(await view.getByRole('button', { name: /Revoke|Deactivate|Create EAB key/ }).count(), 0, `${path}: no action for a viewer`);
    }
    await viewing.close();

    const { context, page } = await signIn(admin.token);
    await page.goto(`${base}/console/accounts`);
    await page.getByLabel('Label').fill('team-a');
    await page.getByRole('button', { name: 'Create EAB key' }).click();
    assert.match(await page.locator('#eab-hmac').innerText(), /^[A-Za-z0-9_-]{40,}$/, 'the HMAC key, shown once');
    await page.goto(`${base}/console/accounts`);
    assert.equal(await page.getByText(/^[A-Za-z0-9_-]{40,}$/).count(), 0, 'never shown again');
    await page.getByRole('row', { name: /team-a/ }).getByRole('button', { name: 'Revoke' }).click();
    assert.match(await page.getByRole('status').innerText(), /EAB key kid-\S+ revoked/);
    assert.match(await page.getByRole('row', { name: /team-a/ }).innerText(), /revoked/);
    await page.getByRole('button', { name: 'Deactivate' }).first().click();
    assert.match(await page.getByRole('status').innerText(), /Account \S+ deactivated/);
    assert.ok((await page.locator('tbody tr').allInnerTexts()).some((r) => r.includes('deactivated')));

    await page.goto(`${base}/console/ssh`);
    await page.getByRole('button', { name: 'Revoke' }).click();
    assert.match(await page.getByRole('status').innerText(), /SSH certificate \d+ revoked; the KRL is rebuilt/);
    assert.match(await page.locator('tbody tr').first().innerText(), /revoked/);
    await context.close();
  });
});
