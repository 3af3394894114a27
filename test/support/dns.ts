import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { startTestDnsServer, type TestDnsRecords } from '../../src/lab/dns-server.ts';

/**
 * The test DNS of the end-to-end, cluster and benchmark runs: the lab's DNS server
 * (src/lab/dns-server.ts) answering 127.0.0.1 for every name (no AAAA), with records set per
 * name, and a small HTTP API so ACME clients' hook scripts (dns-hook.mjs), which run in their own
 * processes, can publish TXT records: `POST /set-txt {host, value}` and `POST /clear-txt {host}`.
 */
export interface TestDns {
  /** `127.0.0.1:<port>`, for `-dnsserver`, `--dns.resolvers`, `CERTAINTY_VALIDATION_DNS`. */
  readonly dnsAddress: string;
  /** `http://127.0.0.1:<port>`, for dns-hook.mjs (`TEST_DNS_URL`). */
  readonly managementUrl: string;
  /** Adds a TXT value for `host` (values accumulate until {@link TestDns.clearTxt}). */
  setTxt(host: string, value: string): Promise<void>;
  /** Removes every TXT value of `host`. */
  clearTxt(host: string): Promise<void>;
  /** Answers A queries for `host` with `addresses` instead of the default. */
  addA(host: string, addresses: readonly string[]): Promise<void>;
  clearA(host: string): Promise<void>;
  /** Answers CAA queries for `host` (exactly that name) with these properties, flags 0 (RFC 8659). */
  setCaa(host: string, properties: ReadonlyArray<{ tag: string; value: string }>): Promise<void>;
  clearCaa(host: string): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_A = ['127.0.0.1'];

/** Starts the DNS server and its management API on free 127.0.0.1 ports. */
export async function startTestDns(): Promise<TestDns> {
  const dns = await startTestDnsServer({}, { fallback: { A: DEFAULT_A } });
  // Kept here too: the server's entry for a name is replaced whole, so changes start from these.
  const names = new Map<string, TestDnsRecords>();
  const update = (host: string, change: (records: TestDnsRecords) => void): void => {
    const key = host.toLowerCase().replace(/\.$/, '');
    const records = names.get(key) ?? { A: DEFAULT_A };
    change(records);
    names.set(key, records);
    dns.set(key, records);
  };
  const setTxt = (host: string, value: string): void => update(host, (r) => { r.TXT = [...(r.TXT ?? []), value]; });
  const clearTxt = (host: string): void => update(host, (r) => { delete r.TXT; });
  const management = await startManagement(setTxt, clearTxt);
  const address = management.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    dnsAddress: dns.address,
    managementUrl: `http://127.0.0.1:${port}`,
    setTxt: async (host, value) => setTxt(host, value),
    clearTxt: async (host) => clearTxt(host),
    addA: async (host, addresses) => update(host, (r) => { r.A = [...addresses]; }),
    clearA: async (host) => update(host, (r) => { r.A = DEFAULT_A; }),
    setCaa: async (host, properties) => update(host, (r) => { r.CAA = properties.map((p) => ({ ...p })); }),
    clearCaa: async (host) => update(host, (r) => { delete r.CAA; }),
    async stop() {
      management.closeAllConnections();
      await new Promise((resolve) => management.close(resolve));
      await dns.close();
    },
  };
}

/** The two calls dns-hook.mjs makes; anything else is 404. */
async function startManagement(setTxt: (host: string, value: string) => void, clearTxt: (host: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(handle(req.method, req.url, Buffer.concat(chunks).toString('utf8'))).end();
    });
  });
  const handle = (method: string | undefined, url: string | undefined, text: string): number => {
    let body: { host?: unknown; value?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return 400;
    }
    if (method !== 'POST' || typeof body.host !== 'string') return 400;
    if (url === '/set-txt' && typeof body.value === 'string') setTxt(body.host, body.value);
    else if (url === '/clear-txt') clearTxt(body.host);
    else return 404;
    return 200;
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
