/**
 * In-process notification that a keyed piece of work finished on this node. Used only to answer
 * sooner; nothing depends on it for correctness (a waiter that is never released times out).
 */
export class Waiters {
  private readonly pending = new Map<string, Array<() => void>>();

  wait(key: string, ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const list = this.pending.get(key) ?? [];
      list.push(done);
      this.pending.set(key, list);
      const pending = this.pending;
      function done(): void {
        clearTimeout(timer);
        const rest = (pending.get(key) ?? []).filter((f) => f !== done);
        if (rest.length === 0) pending.delete(key);
        else pending.set(key, rest);
        resolve();
      }
    });
  }

  release(key: string): void {
    for (const f of this.pending.get(key) ?? []) f();
  }
}
