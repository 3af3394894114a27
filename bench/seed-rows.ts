// Fills a Certainty database with rows shaped like a CA's history: accounts of very different
// sizes, orders spread over months, a share invalid, expired or revoked, and the ledgers that
// housekeeping prunes (used nonces, done jobs). Runs the product's migrations first and writes
// through the product's Database (src/store), batched multi-row INSERTs in transactions, so the
// same code fills SQLite and PostgreSQL. Used by bench/seed.ts and test/integration/store.explain.test.ts.
import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../src/store/db.ts';
import { migrate } from '../src/store/migrations.ts';
import { sqliteFile } from '../src/store/open.ts';
import { PostgresDatabase } from '../src/store/postgres.ts';
import { SqliteDatabase } from '../src/store/sqlite.ts';

const DAY = 86_400_000;

/** Where to seed: a PostgreSQL URL, else SQLite in the data directory (as `certainty serve` finds it). */
export interface SeedTarget {
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string | undefined;
}

export interface SeedOptions {
  /** Certificates to add; orders and authorizations come out about 11 % more (the invalid ones). */
  readonly rows: number;
  /** No new batch starts after this many seconds. */
  readonly maxSeconds: number;
  /** History ends here (epoch ms) and starts `months` earlier. */
  readonly now: number;
  readonly months: number;
  /** Called after every batch. */
  readonly progress?: (report: SeedReport) => void;
}

export interface SeedReport {
  /** Rows added per table. */
  readonly rows: Record<string, number>;
  readonly seconds: number;
  /** False when the time bound stopped seeding early. */
  readonly complete: boolean;
}

/** Opens the database a target names, the way the product does, and brings its schema up to date. */
export async function openSeedTarget(target: SeedTarget): Promise<Database> {
  const url = target.databaseUrl;
  const db = url !== undefined && /^postgres(ql)?:\/\//.test(url)
    ? new PostgresDatabase(url, { poolSize: 2, connectTimeoutSeconds: 10, statementTimeoutMs: 600_000 })
    : new SqliteDatabase(sqliteFile(url, target.dataDir ?? '.'), { synchronous: 'full' });
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

const COLUMNS = {
  accounts: ['id', 'thumbprint', 'jwk', 'status', 'contact', 'eab_kid', 'created_at', 'version'],
  orders: ['id', 'account_id', 'status', 'identifiers', 'not_before', 'not_after', 'expires_at', 'error', 'certificate_id', 'replaces', 'created_at', 'version'],
  authorizations: ['id', 'order_id', 'account_id', 'identifier_type', 'identifier_value', 'wildcard', 'status', 'expires_at', 'created_at', 'version'],
  challenges: ['id', 'authz_id', 'type', 'token', 'status', 'validated_at', 'error', 'validation_record', 'updated_at', 'version'],
  certificates: [
    'id', 'serial', 'account_id', 'order_id', 'issuer_id', 'der', 'chain_pem', 'identifiers', 'not_before', 'not_after', 'ari_id',
    'replaced_by', 'revoked_at', 'revocation_reason', 'created_at',
  ],
  certificate_names: ['name', 'certificate_id', 'created_at'],
  used_nonces: ['nonce', 'expires_at'],
  jobs: [
    'id', 'kind', 'payload', 'idempotency_key', 'status', 'run_at', 'attempts', 'max_attempts', 'last_error', 'claimed_by', 'claim_expires_at',
    'completed_by', 'completed_at', 'created_at', 'updated_at', 'fair_key',
  ],
} as const;
type Table = keyof typeof COLUMNS;
type Rows = Record<Table, unknown[][]>;

const emptyRows = (): Rows => ({
  accounts: [], orders: [], authorizations: [], challenges: [], certificates: [], certificate_names: [], used_nonces: [], jobs: [],
});

/** Multi-row INSERTs within the dialect's limit on bound parameters (SQLite 32766, PostgreSQL 65535). */
async function insertRows(q: Queryable, table: Table, rows: unknown[][]): Promise<void> {
  const cols = COLUMNS[table];
  const perStatement = Math.min(500, Math.floor(30_000 / cols.length));
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += perStatement) {
    const slice = rows.slice(i, i + perStatement);
    await q.exec(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${slice.map(() => tuple).join(', ')}`, slice.flat());
  }
}

/** A small, fast deterministic generator (mulberry32): the same seed gives the same history shape. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Random ids as the product makes them (12 random bytes, base64url), drawn in bulk. */
class Ids {
  private pool = Buffer.alloc(0);
  private at = 0;
  next(bytes = 12): string {
    if (this.at + bytes > this.pool.length) {
      this.pool = randomBytes(1 << 20);
      this.at = 0;
    }
    const id = this.pool.subarray(this.at, this.at + bytes).toString('base64url');
    this.at += bytes;
    return id;
  }
}

interface Issuer {
  id: string;
  chainPem: string;
}

/** The active intermediate the server issues from, or a stand-in when the database has none yet. */
async function issuerOf(db: Database): Promise<Issuer> {
  const rows = await db.query<{ id: string; chain_pem: string }>(`SELECT id, chain_pem FROM issuers WHERE role = 'intermediate' AND active = 1`);
  const row = rows[0];
  if (row) return { id: row.id, chainPem: row.chain_pem };
  const body = randomBytes(900).toString('base64').replace(/.{64}/g, '$&\n');
  return { id: 'seed-issuer', chainPem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n` };
}

/** Shapes of one run: sizes derived from the certificate count, and the generators. */
class History {
  readonly accounts: string[] = [];
  readonly domains: number;
  readonly start: number;
  readonly span: number;
  readonly ids = new Ids();
  readonly rand = prng(0x5eed);
  /** A DER-sized body per certificate (a real leaf is 700–1,200 bytes); the serial is copied in. */
  private readonly der = randomBytes(900);

  constructor(readonly options: SeedOptions, readonly issuer: Issuer) {
    this.domains = Math.max(100, Math.floor(options.rows / 20));
    this.span = options.months * 30 * DAY;
    this.start = options.now - this.span;
  }

  /** Heavy-tailed: a few accounts (hosting providers) place most orders, most accounts a handful. */
  account(): string {
    return this.accounts[Math.floor(this.accounts.length * this.rand() ** 4)] as string;
  }

  accountRows(count: number): unknown[][] {
    const rows: unknown[][] = [];
    for (let i = 0; i < count; i++) {
      const id = this.ids.next();
      this.accounts.push(id);
      const jwk = { kty: 'EC', crv: 'P-256', x: this.ids.next(32), y: this.ids.next(32) };
      rows.push([id, this.ids.next(32), JSON.stringify(jwk), 'valid', JSON.stringify([`mailto:ops${i}@seed.example`]), null, this.start - Math.floor(this.rand() * 30 * DAY), 1]);
    }
    return rows;
  }

  certificate(serial: string, identifiers: string, accountId: string, orderId: string, createdAt: number): unknown[] {
    const der = Buffer.from(this.der);
    der.write(serial, 15, 'hex');
    const notAfter = createdAt + 90 * DAY;
    const r = this.rand();
    // 2 % revoked (key compromise, superseded, cessation), between issuance and now.
    const revokedAt = r < 0.02 ? Math.min(this.options.now - 1, createdAt + Math.floor(this.rand() * 60 * DAY)) : null;
    const reason = revokedAt === null ? null : [1, 4, 5][Math.floor(this.rand() * 3)];
    // Older certificates were mostly renewed; the renewal names this one's order in replaced_by.
    const replacedBy = notAfter - 30 * DAY < this.options.now && r > 0.4 ? this.ids.next() : null;
    return [
      this.ids.next(), serial, accountId, orderId, this.issuer.id, der, this.issuer.chainPem, identifiers, createdAt, notAfter,
      `seed.${Buffer.from(serial, 'hex').toString('base64url')}`, replacedBy, revokedAt, reason, createdAt,
    ];
  }
}

const PROBLEM = JSON.stringify({ type: 'urn:ietf:params:acme:error:unauthorized', detail: 'The key authorization file from the server did not match this challenge' });

/**
 * One order with its authorization, challenges and (when valid) certificate and name rows.
 * Returns whether it produced a certificate.
 */
function addOrder(h: History, out: Rows, createdAt: number): boolean {
  const now = h.options.now;
  const accountId = h.account();
  const orderId = h.ids.next();
  const authzId = h.ids.next();
  const wildcard = h.rand() < 0.1;
  const domain = `d${Math.floor(h.domains * h.rand() ** 2)}.seed.example`;
  const base = wildcard ? domain : `h${Math.floor(h.rand() * 50)}.${domain}`;
  const name = wildcard ? `*.${base}` : base;
  const identifiers = JSON.stringify([{ type: 'dns', value: name }]);
  const recent = createdAt > now - 7 * DAY;
  const r = h.rand();
  // Outcomes: 8 % fail validation; of the last week's orders some are still pending or ready;
  // older unfinished ones were expired by housekeeping (0.2 % wait for it).
  let status: 'valid' | 'invalid' | 'pending' | 'ready' = 'valid';
  if (r < 0.08) status = 'invalid';
  else if (r < 0.11) status = recent ? 'pending' : r < 0.082 ? 'pending' : 'invalid';
  else if (r < 0.12 && recent) status = 'ready';
  const orderExpires = createdAt + 7 * DAY;
  const authzStatus = status === 'valid' || status === 'ready' ? 'valid' : status === 'pending' ? 'pending' : (r < 0.08 ? 'invalid' : 'expired');
  const authzExpires = authzStatus === 'valid' ? createdAt + 30 * DAY : orderExpires;
  const serial = status === 'valid' ? randomSerial(h) : null;
  const certId = serial === null ? null : h.ids.next();
  out.orders.push([orderId, accountId, status, identifiers, null, null, orderExpires, status === 'invalid' && r < 0.08 ? PROBLEM : null, certId, null, createdAt, status === 'pending' ? 1 : 3]);
  out.authorizations.push([authzId, orderId, accountId, 'dns', base, wildcard ? 1 : 0, authzStatus, authzExpires, createdAt, authzStatus === 'pending' ? 1 : 2]);
  const types = wildcard ? ['dns-01'] : ['http-01', 'dns-01', 'tls-alpn-01'];
  types.forEach((type, i) => {
    const chosen = i === 0 && authzStatus !== 'pending' && authzStatus !== 'expired';
    const chStatus = !chosen ? 'pending' : authzStatus === 'valid' ? 'valid' : 'invalid';
    const record = chStatus === 'valid' ? JSON.stringify([{ hostname: base, port: '80', addressesResolved: ['127.0.0.1'], addressUsed: '127.0.0.1' }]) : null;
    out.challenges.push([
      h.ids.next(), authzId, type, h.ids.next(32), chStatus, chStatus === 'valid' ? createdAt + 2_000 : null, chStatus === 'invalid' ? PROBLEM : null,
      record, chosen ? createdAt + 2_000 : createdAt, chosen ? 3 : 1,
    ]);
  });
  if (h.rand() < 0.25) addJob(h, out, accountId, createdAt);
  if (serial === null || certId === null) return false;
  const cert = h.certificate(serial, identifiers, accountId, orderId, createdAt + 3_000);
  cert[0] = certId;
  out.certificates.push(cert);
  out.certificate_names.push([name, certId, createdAt + 3_000]);
  return true;
}

function randomSerial(h: History): string {
  return Buffer.from(h.ids.next(16), 'base64url').toString('hex');
}

/**
 * Done validation jobs (one per four orders) and used nonces as a node that runs housekeeping finds
 * them: jobs completed over the last day (kept one day) plus a few minutes' backlog to prune, nonces
 * expiring within the hour with two minutes' worth expired.
 */
function addJob(h: History, out: Rows, accountId: string, createdAt: number): void {
  const now = h.options.now;
  const done = now - Math.floor(h.rand() * (DAY + 300_000));
  const at = Math.min(createdAt, done);
  const id = h.ids.next();
  out.jobs.push([
    id, 'validate-challenge', JSON.stringify({ challengeId: h.ids.next() }), `validate:${id}`, 'done', at, 1, 5, null, 'seed-node', null,
    'seed-node', done, at, done, accountId,
  ]);
  out.used_nonces.push([h.ids.next(16), now - 120_000 + Math.floor(h.rand() * 3_720_000)]);
}

/** Adds the history to the target's database. Bounded by `rows` and `maxSeconds`. */
export async function seedDatabase(db: Database, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const counts: Record<string, number> = {};
  const h = new History(options, await issuerOf(db));
  const elapsed = (): number => (performance.now() - started) / 1000;
  // Random ids land all over the primary-key B-trees: with SQLite's default 2 MB page cache every
  // batch rereads pages from the file. A larger cache for this connection only (the server's is unchanged).
  if (db.dialect.name === 'sqlite') await db.exec('PRAGMA cache_size = -1048576');
  const write = (rows: Rows): Promise<void> => db.transaction(async (tx) => {
    for (const table of Object.keys(COLUMNS) as Table[]) {
      const list = rows[table];
      if (list.length === 0) continue;
      await insertRows(tx, table, list);
      counts[table] = (counts[table] ?? 0) + list.length;
    }
  });
  // A hundred certificates per account on average, at least ten accounts.
  const accounts = h.accountRows(Math.max(10, Math.ceil(options.rows / 100)));
  for (let i = 0; i < accounts.length; i += 5_000) await write({ ...emptyRows(), accounts: accounts.slice(i, i + 5_000) });
  // Orders in time order, as they arrived; ~1.11 orders per certificate.
  const expectedOrders = Math.ceil(options.rows / 0.89);
  let certificates = 0;
  let order = 0;
  let complete = true;
  while (certificates < options.rows) {
    if (elapsed() > options.maxSeconds) {
      complete = false;
      break;
    }
    const batch = emptyRows();
    while (batch.orders.length < 5_000 && certificates < options.rows) {
      const at = h.start + Math.floor(((order + h.rand()) / expectedOrders) * h.span);
      if (addOrder(h, batch, Math.min(at, options.now - 60_000))) certificates++;
      order++;
    }
    await write(batch);
    options.progress?.({ rows: { ...counts }, seconds: elapsed(), complete });
  }
  // PostgreSQL's autovacuum would have gathered statistics on tables this large; Certainty never
  // runs ANALYZE on SQLite, so its planner works without them there, as in production.
  if (db.dialect.name === 'postgres') await db.exec('ANALYZE');
  return { rows: counts, seconds: elapsed(), complete };
}
