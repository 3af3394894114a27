import { AcmeClient, AcmeTransport } from '../../src/acme-client/client.ts';
import { startHttp01Responder, type Http01Responder } from '../../src/acme-client/responder.ts';
import { startTestDnsServer, type TestDnsServer } from '../../src/lab/dns-server.ts';
import type { TestDns } from './dns.ts';
import { freshDatabaseUrl, startNode, type Dialect, type TestNode } from './node.ts';

/** Either test DNS: the lab's server (entries set per name) or dns.ts's, which can publish CAA. */
type Dns = TestDnsServer | TestDns;

export interface AcmeNodeOptions<D extends Dns> {
  /** Config keys (`--set` style) besides the DNS server and http-01 port set here; they win. */
  set?: Record<string, string>;
  /** Starts the DNS server validation asks; default the lab's, NXDOMAIN for names never set. */
  dns?: () => Promise<D>;
}

/** The lab's DNS server answering 127.0.0.1 for every name not set, for tests that never set A records. */
export const localhostDns = (): Promise<TestDnsServer> => startTestDnsServer({}, { fallback: { A: ['127.0.0.1'] } });

/** A node on a fresh database whose validations ask a test DNS server and dial an http-01 responder. */
export interface AcmeNode<D extends Dns = TestDnsServer> {
  node: TestNode;
  dns: D;
  responder: Http01Responder;
  transport: AcmeTransport;
  /** Undefined on SQLite, where the database is in the node's data dir. */
  databaseUrl: string | undefined;
  /** A client with a new account, polling at test speed. */
  newClient(account?: Parameters<AcmeClient['createAccount']>[0]): Promise<AcmeClient>;
  /** Closes the transport, stops the node, then the responder and the DNS server. */
  stop(): Promise<void>;
}

/**
 * The scaffold of the ACME integration tests: test DNS, http-01 responder, a node of `dialect`
 * pointed at both, and a transport to it. If a step fails, what was started is stopped.
 */
export async function startAcmeNode(dialect: Dialect, options?: AcmeNodeOptions<TestDnsServer>): Promise<AcmeNode>;
export async function startAcmeNode<D extends Dns>(dialect: Dialect, options: AcmeNodeOptions<D> & { dns: () => Promise<D> }): Promise<AcmeNode<D>>;
export async function startAcmeNode(dialect: Dialect, options: AcmeNodeOptions<Dns> = {}): Promise<AcmeNode<Dns>> {
  // Stopped last-started first, the order the tests' `after` hooks used.
  const started: Array<() => unknown> = [];
  const stop = async (): Promise<void> => {
    for (let s = started.pop(); s !== undefined; s = started.pop()) await s();
  };
  try {
    const dns = await (options.dns ?? (() => startTestDnsServer()))();
    started.push(() => ('stop' in dns ? dns.stop() : dns.close()));
    const responder = await startHttp01Responder();
    started.push(() => responder.close());
    const databaseUrl = await freshDatabaseUrl(dialect);
    const node = await startNode({
      databaseUrl,
      set: { 'validation.dnsServer': 'dnsAddress' in dns ? dns.dnsAddress : dns.address, 'validation.http01Port': String(responder.port), ...options.set },
    });
    started.push(() => node.stop());
    const transport = new AcmeTransport({ directoryUrl: node.directoryUrl, ca: node.rootPem });
    started.push(() => transport.close());
    const newClient = async (account: Parameters<AcmeClient['createAccount']>[0] = {}): Promise<AcmeClient> => {
      const client = new AcmeClient(transport, undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
      await client.createAccount(account);
      return client;
    };
    return { node, dns, responder, transport, databaseUrl, newClient, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
