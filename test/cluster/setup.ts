// What every cluster test starts: the test DNS (every name → 127.0.0.1), one http-01 responder the
// nodes validate against, and a cluster of real `certainty serve` processes behind HAProxy.
import { startTestDns, type TestDns } from '../support/dns.ts';
import { startCluster, type Cluster, type ClusterOptions } from '../support/cluster.ts';
import { startHttp01Responder, type Http01Responder } from '../../src/acme-client/responder.ts';
import { CountingTransport } from '../../src/lab/load.ts';

export interface ClusterEnv {
  readonly cluster: Cluster;
  readonly dns: TestDns;
  readonly responder: Http01Responder;
  /** A fresh counting transport to the front (closed by `stop()`). */
  transport(options?: { maxSockets?: number }): CountingTransport;
  stop(): Promise<void>;
}

/** Unique per run, so names never collide with an earlier run's rate-limit counts. */
export const RUN = Date.now().toString(36);

export async function startClusterEnv(options: Omit<ClusterOptions, 'dnsAddress' | 'http01Port'> = {}): Promise<ClusterEnv> {
  const dns = await startTestDns();
  const responder = await startHttp01Responder();
  let cluster: Cluster;
  try {
    cluster = await startCluster({ ...options, dnsAddress: dns.dnsAddress, http01Port: responder.port });
  } catch (err) {
    await responder.close();
    await dns.stop();
    throw err;
  }
  const transports: CountingTransport[] = [];
  return {
    cluster,
    dns,
    responder,
    transport(opts = {}) {
      const t = new CountingTransport({ directoryUrl: cluster.directoryUrl, ca: cluster.rootPem, maxSockets: opts.maxSockets ?? 32 });
      transports.push(t);
      return t;
    },
    async stop() {
      for (const t of transports) t.close();
      await cluster.stop();
      await responder.close();
      await dns.stop();
    },
  };
}
