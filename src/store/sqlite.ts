import BetterSqlite3 from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import type { Database, Dialect, Transaction } from './db.ts';

const dialect: Dialect = {
  name: 'sqlite',
  nowMs: "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
  skipLocked: '',
  forUpdate: '',
};

export interface SqliteOptions {
  /** `full` survives power loss; `normal` survives process crashes only (WAL). */
  synchronous: 'full' | 'normal';
}

/**
 * The database holds wrapped keys and account keys: its file is created 0600 before SQLite opens
 * it, and SQLite gives its -wal and -shm files the database file's mode (os_unix.c,
 * findCreateFileMode), whatever the umask. Files an older version left more open are tightened.
 */
function keepPrivate(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return;
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch {
    // Exists already (tightened below), or cannot be created: SQLite reports that more clearly.
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode;
    try {
      if ((mode & 0o077) !== 0) chmodSync(file, mode & 0o700);
    } catch {
      // Another user's file (EPERM): not ours to change; the data directory warning still applies.
    }
  }
}

/** Bounds of one commit group: it commits after this many transactions or this long, whichever is first. */
export interface GroupLimits {
  maxMembers: number;
  maxMs: number;
}

const DEFAULT_GROUP: GroupLimits = { maxMembers: 64, maxMs: 20 };

interface Member {
  run(tx: Transaction): Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * SQLite through better-sqlite3: one connection, WAL. better-sqlite3 is synchronous, so a single
 * statement is atomic with respect to the event loop; only transactions that span awaits need
 * ordering. SQLite is the single-node mode; this class orders one process's use of its one connection.
 *
 * Group commit: with `synchronous = FULL` every COMMIT waits for an fsync, on the event loop. The
 * transactions queued while one group runs (or within one event-loop turn) share one
 * BEGIN IMMEDIATE … COMMIT, each inside its own SAVEPOINT, so a throwing callback rolls back only
 * its own work. Nobody learns a result before the shared COMMIT has returned (a CA must not report
 * a certificate it could still forget), and a failed COMMIT rejects every member. Writes outside a
 * transaction join a group the same way. Reads outside a transaction run on a second connection,
 * which in WAL mode sees only committed rows and is never blocked by the writer (an in-memory
 * database has no second connection: its reads wait until the open group has committed). Members
 * run one after the other and see their predecessors' rows, as they would after separate commits.
 */
export class SqliteDatabase implements Database {
  readonly dialect = dialect;
  private readonly db: BetterSqlite3.Database;
  /** Reads outside transactions; undefined for an in-memory database (reads then use `db`). */
  private readonly reader: BetterSqlite3.Database | undefined;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly readStatements = new Map<string, BetterSqlite3.Statement>();
  private readonly limits: GroupLimits;
  private readonly pending: Member[] = [];
  private scheduled = false;
  /** Set while a group holds the connection; resolves when it has committed or rolled back. */
  private group: Promise<void> | undefined;

  constructor(path: string, options: SqliteOptions = { synchronous: 'full' }, limits: GroupLimits = DEFAULT_GROUP) {
    keepPrivate(path);
    this.db = new BetterSqlite3(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // No synchronous busy wait: it would block the event loop. Contention is retried asynchronously.
    this.db.pragma('busy_timeout = 0');
    this.db.pragma('foreign_keys = ON');
    // Deleted content is overwritten with zeros, so a destroyed secret version or a pruned key is
    // not left readable in free pages of the file.
    this.db.pragma('secure_delete = ON');
    this.db.defaultSafeIntegers(false);
    this.limits = limits;
    if (!inMemory(path)) {
      this.reader = new BetterSqlite3(path);
      this.reader.pragma('busy_timeout = 0');
      this.reader.pragma('query_only = ON');
      this.reader.defaultSafeIntegers(false);
    }
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** A read outside a transaction: on the reader at once, or on the writer once no group is open. */
  private async read<T>(sql: string, st: BetterSqlite3.Statement, run: (st: BetterSqlite3.Statement) => T): Promise<T> {
    const reader = this.reader;
    if (reader === undefined) {
      await this.waitTurn();
      return retryBusy(() => run(st));
    }
    let rst = this.readStatements.get(sql);
    if (!rst) {
      rst = reader.prepare(sql);
      this.readStatements.set(sql, rst);
    }
    const readerSt = rst;
    return retryBusy(() => run(readerSt));
  }

  private runQuery<T>(st: BetterSqlite3.Statement, params: readonly unknown[]): T[] {
    if (!st.reader) {
      st.run(...params.map(bind));
      return [];
    }
    return st.all(...params.map(bind)) as T[];
  }

  private runExec(st: BetterSqlite3.Statement, params: readonly unknown[]): number {
    if (st.reader) return st.all(...params.map(bind)).length;
    return st.run(...params.map(bind)).changes;
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const st = this.prepare(sql);
    if (!st.readonly) return this.enqueue(async () => this.runQuery<T>(st, params));
    return this.read(sql, st, (s) => this.runQuery<T>(s, params));
  }

  async exec(sql: string, params: readonly unknown[] = []): Promise<number> {
    const st = this.prepare(sql);
    if (!st.readonly) return this.enqueue(async () => this.runExec(st, params));
    return this.read(sql, st, (s) => this.runExec(s, params));
  }

  /** Waits until no group holds the connection. */
  private async waitTurn(): Promise<void> {
    while (this.group !== undefined) await this.group;
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.enqueue(fn);
  }

  private enqueue<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run: fn, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * A group starts on the next check phase, not at once: requests whose data arrived in the same
   * poll phase then share it. Started synchronously, the first transaction would run and commit
   * (its statements are synchronous) before the others were even parsed.
   */
  private schedule(): void {
    if (this.scheduled || this.group !== undefined || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      let done!: () => void;
      this.group = new Promise<void>((resolve) => (done = resolve));
      void this.runGroup().finally(() => {
        this.group = undefined;
        done();
        this.schedule();
      });
    });
  }

  private async runGroup(): Promise<void> {
    try {
      await retryBusy(() => this.prepare('BEGIN IMMEDIATE').run());
    } catch (err) {
      for (const m of this.pending.splice(0)) m.reject(err);
      return;
    }
    const committed: Array<{ member: Member; value: unknown }> = [];
    const started = Date.now();
    let count = 0;
    for (let member = await this.next(); member !== undefined; member = await this.next()) {
      count += 1;
      const outcome = await this.runMember(member);
      if ('aborted' in outcome) {
        // SQLite rolled the whole transaction back (an I/O or out-of-memory error, say): earlier
        // members are gone too.
        const err = new Error('the transaction was rolled back with the commit group it shared', { cause: outcome.aborted });
        for (const c of committed) c.member.reject(err);
        return;
      }
      if ('value' in outcome) committed.push({ member, value: outcome.value });
      if (count >= this.limits.maxMembers || Date.now() - started >= this.limits.maxMs) break;
    }
    try {
      this.prepare('COMMIT').run();
    } catch (err) {
      this.rollbackQuietly();
      for (const c of committed) c.member.reject(err);
      return;
    }
    for (const c of committed) c.member.resolve(c.value);
  }

  /** Ends whatever transaction is open; used only on paths that already report an error. */
  private rollbackQuietly(): void {
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } catch {
      // SQLite has rolled back already, or the connection is unusable: the callers learn of it.
    }
  }

  /**
   * The next member for the open group. When none is queued, the group waits one event-loop turn
   * before it commits: the I/O callbacks and immediates of that turn (a nonce batch, a request
   * whose signature check just finished) then share this commit instead of paying for their own.
   */
  private async next(): Promise<Member | undefined> {
    if (this.pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    return this.pending.shift();
  }

  /** Runs one member in a savepoint; a throwing member is rejected at once (its work is undone). */
  private async runMember(member: Member): Promise<{ value: unknown } | { failed: unknown } | { aborted: unknown }> {
    let open = true;
    const live = (): void => {
      if (!open) throw new Error('a transaction was used after its callback returned');
    };
    const tx: Transaction = {
      query: async <R>(sql: string, params: readonly unknown[] = []) => (live(), this.runQuery<R>(this.prepare(sql), params)),
      exec: async (sql: string, params: readonly unknown[] = []) => (live(), this.runExec(this.prepare(sql), params)),
      execScript: async (script: string) => (live(), void this.db.exec(script)),
    };
    try {
      this.prepare('SAVEPOINT member').run();
      const value = await member.run(tx);
      open = false;
      this.prepare('RELEASE member').run();
      return { value };
    } catch (err) {
      open = false;
      member.reject(err);
      if (!this.db.inTransaction) return { aborted: err };
      try {
        this.prepare('ROLLBACK TO member').run();
        this.prepare('RELEASE member').run();
      } catch (rollbackErr) {
        this.rollbackQuietly();
        return { aborted: rollbackErr };
      }
      return { failed: err };
    }
  }

  async writable(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    while (this.group !== undefined || this.pending.length > 0 || this.scheduled) {
      await (this.group ?? new Promise((r) => setImmediate(r)));
    }
    this.reader?.close();
    this.db.close();
  }
}

/** Databases a second connection would not share (see keepPrivate for the same rule). */
function inMemory(path: string): boolean {
  return path === '' || path === ':memory:' || path.startsWith('file:');
}

function bind(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value);
  return value;
}

const BUSY_DEADLINE_MS = 10_000;

/**
 * Retries a statement that failed because another process holds the write lock (SQLITE_BUSY).
 * A failed statement had no effect, so running it again is safe.
 */
async function retryBusy<T>(fn: () => T): Promise<T> {
  const deadline = Date.now() + BUSY_DEADLINE_MS;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_BUSY_SNAPSHOT') || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
