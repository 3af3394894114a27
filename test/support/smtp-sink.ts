import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { startDaemon, tailFile, type Daemon } from './process.ts';
import { createTestTlsCert } from './tls-cert.ts';
import { waitFor } from './wait.ts';

/** One received message: the sink's own headers (X-Sink-TLS, X-Sink-User, X-Sink-Rcpt), the message's, and its decoded text. */
interface SunkMail {
  headers: Record<string, string>;
  text: string;
}

export interface SmtpSink {
  port: number;
  /** PEM of the CA its STARTTLS certificate chains to. */
  caPemPath: string;
  user: string;
  password: string;
  messages(): Promise<SunkMail[]>;
  stop(): Promise<void>;
}

function parse(raw: string): SunkMail {
  const [head = '', body = ''] = raw.split(/\r?\n\r?\n/, 2);
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) headers[(m[1] as string).toLowerCase()] = m[2] as string;
  }
  const text = /base64/i.test(headers['content-transfer-encoding'] ?? '') ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body;
  return { headers, text };
}

/** Starts Debian's aiosmtpd as a sink on a free loopback port: STARTTLS and AUTH required. */
export async function startSmtpSink(dir: string): Promise<SmtpSink> {
  const tls = await createTestTlsCert(dir, '127.0.0.1');
  const out = join(dir, 'mail');
  await mkdir(out, { recursive: true });
  const port = await freePort();
  const user = 'certainty';
  const password = 'sink-password-0123';
  const logPath = join(dir, 'smtp-sink.log');
  const script = join(import.meta.dirname, 'smtp-sink.py');
  // Debian's python3, which has python3-aiosmtpd (a pyenv python on PATH may not).
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const daemon: Daemon = await startDaemon(python, [script, String(port), tls.certPath, tls.keyPath, out, user, password], { logPath });
  await waitFor(async () => ((await tailFile(logPath)).includes('ready') ? true : daemon.isRunning() ? undefined : Promise.reject(new Error(`the SMTP sink exited: ${await tailFile(logPath)}`))), {
    what: 'the SMTP sink', timeoutMs: 10_000, intervalMs: 100,
  });
  return {
    port, caPemPath: tls.caPemPath, user, password,
    async messages() {
      const names = (await readdir(out)).filter((n) => n.endsWith('.eml')).sort();
      return Promise.all(names.map(async (n) => parse(await readFile(join(out, n), 'utf8'))));
    },
    async stop() {
      await daemon.stop();
    },
  };
}
