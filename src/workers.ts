/**
 * `certainty serve --workers N`: N processes on one machine share the listener (node:cluster). Each
 * worker is a whole node with its own id (`<id>-w<i>`): nonces, rate limits, leases, job claims and
 * audit chains already live in the database, so workers share nothing in memory, exactly like the
 * nodes of a cluster. The primary serves nothing: it migrates and creates the CA once, before any
 * worker opens the database, forks the workers, restarts one that dies, and drains them all on
 * SIGTERM or SIGINT.
 */
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { loadNodeId } from './cluster/node-id.ts';
import { resolveDrainDelay } from './config/drain-delay.ts';
import type { Config } from './config/schema.ts';
import { publicBaseUrl } from './config/urls.ts';
import { openCa } from './context.ts';
import { publishRoot, serve, serveBanner } from './serve.ts';

/** Tells a forked process which worker it is (1..N); a restarted worker gets its index back, so its node id. */
const WORKER_ENV = 'CERTAINTY_WORKER';
/** A worker that dies is forked again after this pause. */
const RESTART_DELAY_MS = 1_000;
/** More deaths than this within the window and the primary gives up: something is wrong with every worker. */
const MAX_DEATHS = 5;
const DEATH_WINDOW_MS = 60_000;

type Message = { type: 'ready' } | { type: 'drain' };

const isMessage = (m: unknown, type: Message['type']): boolean => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

/** How many processes `server.workers` asks for: `auto` is the CPUs this process may use. */
export function workerCount(setting: Config['server']['workers']): number {
  return setting === 'auto' ? availableParallelism() : (setting ?? 1);
}

/** This process's worker index when the primary of `serve --workers` forked it, else undefined. */
export function workerIndex(): number | undefined {
  return cluster.isWorker ? Number(process.env[WORKER_ENV]) : undefined;
}

/**
 * Runs worker `index` until it is asked to drain: by the primary, by SIGTERM or SIGINT of its own
 * (systemd and a terminal signal the whole process group), or by losing the primary. Later asks
 * are ignored, so the drain runs once. Resolves with the exit code once the node has stopped.
 */
export async function runWorker(config: Config, log: Logger, index: number): Promise<number> {
  let asked!: (why: string) => void;
  const drainAsked = new Promise<string>((resolve) => (asked = resolve));
  // Listening before the node starts: a drain asked during startup is not lost.
  process.on('message', (m) => (isMessage(m, 'drain') ? asked('primary') : undefined));
  process.on('disconnect', () => asked('primary gone'));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => asked(signal));
  let node;
  try {
    node = await serve(config, log, index);
  } catch (err) {
    log.error({ err }, 'worker failed to start');
    return 1;
  }
  if (process.connected) process.send?.({ type: 'ready' } satisfies Message);
  log.info({ why: await drainAsked }, 'shutting down');
  try {
    await node.stop();
    return 0;
  } catch (err) {
    log.error({ err }, 'unclean shutdown');
    return 1;
  }
}

interface Supervision {
  log: Logger;
  count: number;
  /** Printed once, when every worker first reports ready. */
  banner: string;
  /** How long a drain may take before the workers still running are killed. */
  patienceMs: number;
}

/**
 * The primary: prepares the database (migrations, KEK, CA) alone, then forks and supervises the
 * workers. Resolves with the exit code: 0 when every worker drained cleanly.
 */
export async function runPrimary(config: Config, log: Logger, count: number): Promise<number> {
  const { db, authority } = await openCa(config, log);
  const dialect = db.dialect.name;
  await db.close();
  const rootPath = publishRoot(config.dataDir, authority.rootPem, log);
  const nodes = Array.from({ length: count }, (_, i) => loadNodeId(config.dataDir, i + 1));
  const drain = resolveDrainDelay(config.server.drainDelayMs, dialect);
  const banner = serveBanner({ nodes, dialect, url: publicBaseUrl(config), rootPath, drain });
  // Each worker bounds its own drain (drain delay, then shutdownTimeoutMs for requests and about
  // half that for jobs); a worker still running well past that is killed.
  const patienceMs = drain.ms + 2 * config.server.shutdownTimeoutMs + 10_000;
  return new Supervisor({ log, count, banner, patienceMs }).run();
}

class Supervisor {
  private readonly workers = new Map<number, ClusterWorker>();
  private readonly ready = new Set<number>();
  private deaths: number[] = [];
  private announced = false;
  private stopping = false;
  private clean = true;
  private finished!: () => void;
  private patience: NodeJS.Timeout | undefined;

  constructor(private readonly s: Supervision) {}

  /** Forks every worker and resolves when all have exited after a drain (or the primary gave up). */
  async run(): Promise<number> {
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals === 1) this.stop(`${signal}`);
      else this.kill(`second ${signal}`);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    for (let i = 1; i <= this.s.count; i++) this.fork(i);
    await done;
    clearTimeout(this.patience);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    return this.clean ? 0 : 1;
  }

  private fork(index: number): void {
    const worker = cluster.fork({ [WORKER_ENV]: String(index) });
    this.workers.set(index, worker);
    this.s.log.info({ worker: index, workerPid: worker.process.pid }, 'worker started');
    worker.on('message', (m) => (isMessage(m, 'ready') ? this.onReady(index) : undefined));
    worker.on('exit', (code, signal) => this.onExit(index, worker, code, signal));
  }

  private onReady(index: number): void {
    this.ready.add(index);
    if (this.announced || this.ready.size < this.s.count) return;
    this.announced = true;
    this.s.log.info({ workers: this.s.count }, 'every worker is serving');
    process.stderr.write(this.s.banner);
  }

  private onExit(index: number, worker: ClusterWorker, code: number | null, signal: string | null): void {
    if (this.workers.get(index) === worker) this.workers.delete(index);
    this.ready.delete(index);
    const workerPid = worker.process.pid;
    if (this.stopping) {
      if (code !== 0) this.clean = false;
      this.s.log.info({ worker: index, workerPid, code, signal }, 'worker stopped');
      if (this.workers.size === 0) this.finished();
      return;
    }
    const now = Date.now();
    this.deaths = [...this.deaths.filter((t) => now - t < DEATH_WINDOW_MS), now];
    if (this.deaths.length > MAX_DEATHS) {
      this.s.log.error({ worker: index, workerPid, code, signal, deaths: this.deaths.length, windowMs: DEATH_WINDOW_MS }, 'workers keep dying: stopping the others');
      this.clean = false;
      this.stop('workers keep dying');
      return;
    }
    this.s.log.error({ worker: index, workerPid, code, signal, restartInMs: RESTART_DELAY_MS }, 'worker died: restarting it');
    setTimeout(() => (this.stopping ? undefined : this.fork(index)), RESTART_DELAY_MS);
  }

  /** Asks every worker to drain; each reports not ready, finishes its work, hands back claims and leases. */
  private stop(why: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.s.log.info({ why, workers: this.workers.size }, 'draining every worker');
    for (const worker of this.workers.values()) {
      if (worker.isConnected()) worker.send({ type: 'drain' } satisfies Message);
    }
    if (this.workers.size === 0) this.finished();
    this.patience = setTimeout(() => this.kill(`drain took over ${this.s.patienceMs} ms`), this.s.patienceMs);
  }

  private kill(why: string): void {
    this.s.log.warn({ why, workers: this.workers.size }, 'killing every worker');
    this.clean = false;
    for (const worker of this.workers.values()) worker.process.kill('SIGKILL');
  }
}
