import { freeLoopbackPort } from '../../src/backup/scratch.ts';

/**
 * Ports handed out by this process, so two calls never return the same port even when the
 * first one has not been bound yet by whoever asked for it.
 */
const handedOut = new Set<number>();

/**
 * A TCP port that was free on 127.0.0.1 a moment ago (the DR test's own helper), never one this
 * process handed out before. Another process may still take it before the caller binds it; the
 * window is small and the callers fail loudly if it happens.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const port = await freeLoopbackPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find a free port on 127.0.0.1');
}

/** `count` distinct free ports on 127.0.0.1. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i += 1) ports.push(await freePort());
  return ports;
}
