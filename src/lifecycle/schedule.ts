/**
 * When to renew (docs/lifecycle.md "When Certainty renews"). Pure functions of times and a
 * random draw, so the rules are unit-tested and every node computes the same thing from the
 * database's state.
 */
import { createHash } from 'node:crypto';
import type { AriState } from './types.ts';

/** Jitter spreads renewals of certificates issued together over this fraction of the renewal period. */
const JITTER_FRACTION = 0.1;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A stable draw in [0, 1) for `seed` (a name and serial): the same on every node. */
export function stableUnit(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Without ARI: renew when `renewWhenLeft` of the lifetime is left, moved earlier by up to a
 * tenth of that period per certificate (so certificates issued together do not renew together).
 */
export function policyRenewalTime(cert: { notBefore: number; notAfter: number }, renewWhenLeft: number, seed: string): number {
  const life = cert.notAfter - cert.notBefore;
  const period = life * renewWhenLeft;
  return Math.round(cert.notAfter - period - period * JITTER_FRACTION * stableUnit(seed));
}

/** RFC 9773 §4.2: a uniformly random time in the window; a window already past means now. */
export function ariRenewalTime(window: { start: number; end: number }, draw: number, now: number): number {
  if (window.end <= now) return now;
  const start = Math.max(window.start, now);
  return Math.round(start + (window.end - start) * draw);
}

/** Whether a newly polled window calls for a new draw (RFC 9773 §4.2: keep the time while it stays inside). */
export function keepsChosenTime(previous: AriState | undefined, window: { start: number; end: number }): boolean {
  return previous !== undefined && previous.chosen >= window.start && previous.chosen <= window.end;
}

/** When to poll ARI next: as Retry-After says, within [1 min, `maxMs`] (RFC 9773 §4.3 asks clients to clamp it). */
export function nextAriPoll(now: number, retryAfterMs: number | undefined, fallbackMs: number, maxMs: number): number {
  const wait = retryAfterMs ?? fallbackMs;
  return now + Math.min(Math.max(wait, Math.min(MINUTE, maxMs)), maxMs);
}

export type FailureKind = 'transient' | 'hard';

/**
 * How long to wait after the `failures`-th failure in a row: transient failures (network,
 * server errors, rate limits) from 5 s doubling to 10 min; hard ones (refused account, EAB,
 * identifiers) from 5 min doubling to 6 h; never past a quarter of the time the current
 * certificate has left, so a certificate still gets tries before it expires.
 */
export function backoffMs(kind: FailureKind, failures: number, timeLeftMs: number | undefined): number {
  const n = Math.max(0, Math.min(failures - 1, 20));
  const raw = kind === 'transient' ? Math.min(5_000 * 2 ** n, 10 * MINUTE) : Math.min(5 * MINUTE * 2 ** n, 6 * HOUR);
  if (timeLeftMs === undefined) return raw;
  return Math.max(5_000, Math.min(raw, Math.floor(timeLeftMs / 4)));
}
