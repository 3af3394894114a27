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

/**
 * SQLite through better-sqlite3: one connection, WAL. better-sqlite3 is synchronous, so a single
 * statement is atomic with respect to the event loop; only transactions that span awaits need
 * ordering. They are queued so that no other statement runs on the connection inside them.
 * SQLite is the single-node mode; this queue orders one process's use of its one connection.
 */
export class SqliteDatabase implements Database {
  readonly dialect = dialect;
  private readonly db: BetterSqlite3.Database;
  private tail: Promise<void> = Promise.resolve();
  private inTransaction = false;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(path: string, options: SqliteOptions = { synchronous: 'full' }) {
    keepPrivate(path);
    this.db = new BetterSqlite3(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // No synchronous busy wait: it would block the event loop. Contention is retried asynchronously.
    this.db.pragma('busy_timeout = 0');
    this.db.pragma('foreign_keys = ON');
    this.db.defaultSafeIntegers(false);
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private runQuery<T>(sql: string, params: readonly unknown[]): T[] {
    const st = this.prepare(sql);
    if (!st.reader) {
      st.run(...params.map(bind));
      return [];
    }
    return st.all(...params.map(bind)) as T[];
  }

  private runExec(sql: string, params: readonly unknown[]): number {
    const st = this.prepare(sql);
    if (st.reader) return st.all(...params.map(bind)).length;
    return st.run(...params.map(bind)).changes;
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.inTransaction) await this.waitTurn();
    return retryBusy(() => this.runQuery<T>(sql, params));
  }

  async exec(sql: string, params: readonly unknown[] = []): Promise<number> {
    if (this.inTransaction) await this.waitTurn();
    return retryBusy(() => this.runExec(sql, params));
  }

  /** Waits until no transaction holds the connection. */
  private async waitTurn(): Promise<void> {
    while (this.inTransaction) await this.tail;
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    await this.waitTurn();
    this.inTransaction = true;
    const tx: Transaction = {
      query: async <R>(sql: string, params: readonly unknown[] = []) => this.runQuery<R>(sql, params),
      exec: async (sql: string, params: readonly unknown[] = []) => this.runExec(sql, params),
      execScript: async (script: string) => void this.db.exec(script),
    };
    try {
      await retryBusy(() => this.db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await fn(tx);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.inTransaction = false;
      release();
    }
  }

  async writable(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    await this.waitTurn();
    this.db.close();
  }
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
