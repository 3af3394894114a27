import { AppError } from '../errors.ts';
import { SESSION_IDLE_MS } from './console-sessions.ts';
import type { ConsoleSessionAdminStore, ConsoleSessionRecord, ConsoleSessionSelector } from './store.ts';

/** A live console session as an operator sees it: never its id, its hash or its CSRF secret. */
export interface ConsoleSessionView {
  /** The first 12 hex characters of the session id's hash: enough to name it, useless to sign in. */
  handle: string;
  kind: ConsoleSessionRecord['kind'];
  subject: string;
  role: string;
  createdAt: string;
  /** Recorded at most once a minute. */
  lastSeenAt: string;
  expiresAt: string;
}

export interface ConsoleSessionAdminDeps {
  store: ConsoleSessionAdminStore;
  now: () => number;
  actor: string;
}

const HANDLE = /^[0-9a-f]{12}$/;
const iso = (t: number): string => new Date(t).toISOString();

/**
 * The operator's view of web console sessions: who is signed in, and ending sessions at once (a
 * person who left, a single sign-on user whose groups changed: their role was fixed at sign-in).
 */
export class ConsoleSessionAdmin {
  constructor(private readonly deps: ConsoleSessionAdminDeps) {}

  /** Usable sessions, oldest first. */
  async list(): Promise<ConsoleSessionView[]> {
    const now = this.deps.now();
    return (await this.deps.store.live(now, now - SESSION_IDLE_MS)).map((s) => ({
      handle: s.idHash.slice(0, 12), kind: s.kind, subject: s.subject, role: s.role, createdAt: iso(s.createdAt), lastSeenAt: iso(s.lastSeenAt), expiresAt: iso(s.expiresAt),
    }));
  }

  /** Ends the sessions named, audited in the same transaction; how many ended. Naming none that exists is an error, except `all`. */
  async end(selector: ConsoleSessionSelector): Promise<number> {
    if ('handle' in selector && !HANDLE.test(selector.handle)) {
      throw new AppError('malformed', `"${selector.handle.slice(0, 80)}" is not a session handle: use the 12-character handle "certainty console sessions" prints, e.g. 3f9a1c2b7d10`);
    }
    if ('subject' in selector && selector.subject.trim() === '') throw new AppError('malformed', 'Name the subject whose sessions to end: a token id or a single sign-on subject, as "certainty console sessions" prints it');
    const what = 'all' in selector ? 'every session' : 'handle' in selector ? `session ${selector.handle}` : `the sessions of ${selector.subject}`;
    const now = this.deps.now();
    const ended = await this.deps.store.transaction(async (store) => {
      // Sessions that ended by themselves are not counted as ended here: the count matches the listing.
      await store.prune(now, now - SESSION_IDLE_MS);
      const n = await store.end(selector);
      if (n > 0) await store.audit({ actor: this.deps.actor, action: 'console.sessions-ended', object: 'console', outcome: 'success', details: { ended: n, what } });
      return n;
    });
    if (ended === 0 && !('all' in selector)) throw new AppError('notFound', `No console session matches ${what}; "certainty console sessions" lists them`);
    return ended;
  }
}
