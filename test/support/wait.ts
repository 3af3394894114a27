import { waitFor as labWaitFor, type WaitOptions } from '../../src/lab/lab-probes.ts';

/**
 * The lab's wait loop (src/lab/lab-probes.ts), polling every 100 ms unless told: tests wait for
 * local processes that come up in tens of milliseconds.
 */
export function waitFor<T>(probe: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  return labWaitFor(probe, { intervalMs: 100, ...options });
}

/** Rejects if `promise` has not settled within `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
