import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpRequest } from '../../src/http-client.ts';
import { freePort } from './free-port.ts';
import { onProcessExit, startDaemon } from './process.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface PrometheusOptions {
  /** `host:port` of every node, scraped over HTTPS as job `certainty`. */
  readonly targets: readonly string[];
  /** The bearer token Prometheus sends (written to its `bearer_token_file`). */
  readonly token: string;
  /** PEM of the CA the nodes' listener certificates chain to. */
  readonly caPem: string;
  /** Rule files to load (checked by Prometheus at start). */
  readonly ruleFiles?: readonly string[];
}

/** One sample of an instant query: its labels and value. */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface Prometheus {
  readonly url: string;
  /** An instant query through the HTTP API. */
  query(expr: string): Promise<Sample[]>;
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Debian's real `prometheus`, scraping the targets every second, with its own config and TSDB in
 * a temporary directory and its web listener on a free loopback port.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const dir = await makeTempDir('prometheus');
  const forgetDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'token'), options.token, { mode: 0o600 });
  await writeFile(join(dir, 'ca.pem'), options.caPem);
  // JSON is YAML: the same scrape job docs/metrics.md shows.
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [{
      job_name: 'certainty', scheme: 'https', metrics_path: '/metrics', scrape_timeout: '900ms',
      bearer_token_file: join(dir, 'token'), tls_config: { ca_file: join(dir, 'ca.pem') },
      static_configs: [{ targets: options.targets }],
    }],
  };
  await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
  ], { logPath: join(dir, 'prometheus.log') });
  const stop = async (): Promise<void> => {
    await daemon.stop({ signal: 'SIGTERM', timeoutMs: 10_000 });
    await removeDir(dir);
    forgetDir();
  };
  try {
    await waitFor(async () => (await httpRequest(`${url}/-/ready`, { timeoutMs: 2_000 }).then((r) => r.status === 200, () => false)) || undefined, {
      what: `prometheus ready at ${url} (log: ${daemon.logPath})`, timeoutMs: 30_000, intervalMs: 250,
    });
  } catch (err) {
    const log = await daemon.logTail(30);
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  return {
    url,
    async query(expr) {
      const res = await httpRequest(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { timeoutMs: 5_000 });
      const body = JSON.parse(res.body.toString('utf8')) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success' || body.data === undefined) throw new Error(`query ${expr} failed: ${body.error ?? res.status}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    logTail: (lines) => daemon.logTail(lines),
    stop,
  };
}
