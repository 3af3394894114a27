/**
 * The per-issuer order budget shared by every node: a token bucket of `orders` tokens refilled
 * evenly over `per` (one every per/orders), as public CAs state their new-order limits (Let's
 * Encrypt: 300 per 3 hours, one back every 36 s). The bucket lives in the database
 * (`LifecycleStore.takeOrderSlot`, one conditional statement on the database clock), so nodes
 * together never place more orders than the budget allows, whatever their own clocks say.
 */
import { AppError } from '../errors.ts';
import { humanDuration, parseDuration } from '../duration.ts';
import type { RateLimit } from './types.ts';

/** What an issuer gets when it names no budget: generous, like common public CA limits. */
const DEFAULT_RATE_LIMIT: RateLimit = { orders: 300, per: '3h' };

/** A budget as the store takes it: the bucket size and the time to refill it whole. */
export interface OrderBudget {
  orders: number;
  perMs: number;
}

const MAX_ORDERS = 1_000_000;

/** Checks an operator's budget; throws `malformed` with the accepted form. */
export function checkRateLimit(limit: RateLimit): RateLimit {
  const orders = Number(limit.orders);
  if (!Number.isInteger(orders) || orders < 1 || orders > MAX_ORDERS) throw new AppError('malformed', `the rate limit's orders must be a whole number from 1 to ${MAX_ORDERS}, e.g. 300/3h`);
  let perMs: number;
  try {
    perMs = parseDuration(String(limit.per));
  } catch (err) {
    throw new AppError('malformed', `the rate limit's period: ${(err as Error).message}`);
  }
  if (perMs < 1000) throw new AppError('malformed', 'the rate limit\'s period must be at least 1s, e.g. 300/3h');
  return { orders, per: String(limit.per) };
}

/** `300/3h` (as `issuer add --rate-limit` takes it) → `{ orders: 300, per: '3h' }`. */
export function parseRateLimit(text: string): RateLimit {
  const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!m) throw new AppError('malformed', `rate limit "${text.slice(0, 40)}" must be ORDERS/PERIOD, e.g. 300/3h`);
  return checkRateLimit({ orders: Number(m[1]), per: m[2] as string });
}

export function orderBudget(limit: RateLimit | undefined): OrderBudget {
  const l = limit ?? DEFAULT_RATE_LIMIT;
  return { orders: l.orders, perMs: parseDuration(l.per) };
}

export function rateLimitText(limit: RateLimit | undefined): string {
  const l = limit ?? DEFAULT_RATE_LIMIT;
  return `${l.orders} orders per ${l.per}${limit === undefined ? ' (default)' : ''}`;
}

/**
 * The issuer's budget is spent: the renewal waits for the next slot. Not a failure (no backoff,
 * no failure count): the upstream was never asked.
 */
export class RateBudgetWait extends Error {
  constructor(readonly issuer: string, readonly waitMs: number) {
    super(`waiting for the issuer's rate budget: next slot in ${humanDuration(Math.max(1000, waitMs))}`);
    this.name = 'RateBudgetWait';
  }
}
