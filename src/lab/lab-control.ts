// Handles on a running lab for drills and `lab status`: its processes (by recorded pid and command
// line), Patroni's REST API and both HAProxies' runtime API.
import { READ_ONLY_SUFFIX } from './lab-config.ts';
import { type LabProcessRecord, type LabState, writeLab } from './lab-state.ts';
import {
  haproxySocket,
  httpCall,
  isLeader,
  patroniCluster,
  type PatroniMemberState,
  serverStates,
  waitFor,
} from './lab-probes.ts';
import { isAlive, postmasterPid, procStat, signalRecord, spawnDetached, stopRecord } from './processes.ts';

/** Resolves once the process answers as its kind should; rejects early if it exits. */
export async function waitProcessReady(state: LabState, record: LabProcessRecord, timeoutMs: number): Promise<void> {
  const abortIf = (): string | undefined => (isAlive(record) ? undefined : `${record.name} exited (see ${record.log})`);
  const options = { what: `${record.name} to be ready`, timeoutMs, abortIf };
  switch (record.kind) {
    case 'etcd': {
      const url = state.etcd.find((e) => e.name === record.name)?.clientUrl;
      await waitFor(async () => ((await httpCall(`${url}/health`)).body.includes('true') ? true : undefined), options);
      return;
    }
    case 'patroni': {
      const url = state.postgres.find((p) => p.name === record.name)?.restUrl;
      await waitFor(async () => ((await httpCall(`${url}/patroni`)).status > 0 ? true : undefined), options);
      return;
    }
    case 'haproxy': {
      const socket = record.name === 'haproxy-front' ? state.frontStatsSocket : state.dbStatsSocket;
      await waitFor(async () => ((await haproxySocket(socket, 'show info')).includes('Pid:') ? true : undefined), options);
      return;
    }
    case 'certainty': {
      const url = state.nodes.find((n) => n.name === record.name)?.baseUrl;
      await waitFor(async () => ((await httpCall(`${url}/readyz`)).status === 200 ? true : undefined), { ...options, intervalMs: 200 });
      return;
    }
  }
}

/** A lab's processes and control planes. Methods take process names as in `LabState.processes`. */
export class LabControl {
  readonly #state: LabState;

  constructor(state: LabState) {
    this.#state = state;
  }

  #record(name: string): LabProcessRecord {
    const record = this.#state.processes[name];
    if (record === undefined) throw new Error(`no lab process named ${name} (have: ${Object.keys(this.#state.processes).join(', ')})`);
    return record;
  }

  /** The process recorded under `name` is running and is still the one the lab started. */
  alive(name: string): boolean {
    const record = this.#state.processes[name];
    return record !== undefined && isAlive(record);
  }

  pid(name: string): number | undefined {
    return this.alive(name) ? this.#state.processes[name]?.pid : undefined;
  }

  signal(name: string, signal: NodeJS.Signals): void {
    if (!signalRecord(this.#record(name), signal)) throw new Error(`${name} is not running`);
  }

  /** SIGTERM, up to `timeoutMs` (default 15 s), then SIGKILL. */
  async stop(name: string, timeoutMs = 15_000): Promise<void> {
    await stopRecord(this.#record(name), timeoutMs);
  }

  /**
   * Starts the process again with its recorded command line and environment (nothing happens if it
   * runs) and records the new pid in lab.json. Certainty nodes: until /readyz is 200; etcd: until
   * healthy; Patroni: until its REST API answers; HAProxy: until its stats socket answers.
   */
  async start(name: string): Promise<void> {
    const old = this.#record(name);
    if (isAlive(old)) return;
    const record = spawnDetached({
      name: old.name, kind: old.kind, argv: old.argv, env: old.env, cwd: old.cwd, log: old.log,
      ...(old.uid === undefined ? {} : { uid: old.uid }),
      ...(old.gid === undefined ? {} : { gid: old.gid }),
    });
    this.#state.processes[name] = record;
    await writeLab(this.#state);
    await waitProcessReady(this.#state, record, record.kind === 'certainty' ? 60_000 : 30_000);
  }

  /** The postmaster running from the member's data directory (Patroni's child, in its own session). */
  postmasterPid(member: string): number | undefined {
    const pg = this.#state.postgres.find((p) => p.name === member);
    if (pg === undefined) throw new Error(`no PostgreSQL member named ${member}`);
    return postmasterPid(pg.dataDir);
  }

  patroniCluster(): Promise<PatroniMemberState[]> {
    return patroniCluster(this.#state.postgres.map((p) => p.restUrl));
  }

  async primary(): Promise<string | undefined> {
    return (await this.patroniCluster()).find(isLeader)?.name;
  }

  /** Planned switchover (POST /switchover); resolves once another member leads and is running. */
  async switchover(candidate?: string): Promise<void> {
    const leader = await this.primary();
    if (leader === undefined) throw new Error('switchover: the cluster has no leader');
    const restUrl = this.#state.postgres.find((p) => p.name === leader)?.restUrl;
    const body = JSON.stringify({ leader, ...(candidate === undefined ? {} : { candidate }) });
    const res = await httpCall(`${restUrl}/switchover`, { method: 'POST', body, timeoutMs: 30_000 });
    if (res.status !== 200) throw new Error(`switchover: Patroni answered ${res.status}: ${res.body.trim()}`);
    await waitFor(async () => {
      const members = await this.patroniCluster();
      const now = members.find((m) => isLeader(m) && m.state === 'running');
      return now !== undefined && now.name !== leader && (candidate === undefined || now.name === candidate) ? true : undefined;
    }, { what: `a new leader after switching over from ${leader}`, timeoutMs: 60_000, intervalMs: 200 });
  }

  /** A raw runtime API command (`show stat`, `set server ...`) on either HAProxy. */
  haproxy(which: 'front' | 'db', command: string): Promise<string> {
    return haproxySocket(which === 'front' ? this.#state.frontStatsSocket : this.#state.dbStatsSocket, command);
  }

  /** "proxy/server" → status (UP, DOWN, MAINT, NOLB...). */
  async backendStates(which: 'front' | 'db'): Promise<Record<string, string>> {
    return serverStates(await this.haproxy(which, 'show stat'));
  }

  /** The node's database backends: the primary one and its read-only fallback (lab-config.ts). */
  #dbBackends(node: string): string[] {
    const listen = this.#state.nodes.find((n) => n.name === node)?.dbListen;
    if (listen === undefined) throw new Error(`no node named ${node}`);
    return [listen, `${listen}${READ_ONLY_SUFFIX}`];
  }

  async #dbCommand(command: string): Promise<void> {
    const answer = (await this.haproxy('db', command)).trim();
    if (answer !== '') throw new Error(`haproxy db: ${command}: ${answer}`);
  }

  /** Every server of the node's database backends to maint, and its open sessions cut. */
  async cutNodeFromDatabase(node: string): Promise<void> {
    for (const backend of this.#dbBackends(node)) {
      for (const pg of this.#state.postgres) {
        await this.#dbCommand(`set server ${backend}/${pg.name} state maint`);
        await this.#dbCommand(`shutdown sessions server ${backend}/${pg.name}`);
      }
    }
  }

  /**
   * Undoes what a drill may have left behind when it stopped half way: SIGCONT for a paused
   * process, every node's database listener back to `ready`, and every dead process started again
   * in the order the lab started them. Returns what it did, one line each.
   */
  async heal(): Promise<string[]> {
    const done: string[] = [];
    for (const [name, record] of Object.entries(this.#state.processes)) {
      if (isAlive(record) && procStat(record.pid)?.state === 'T') {
        signalRecord(record, 'SIGCONT');
        done.push(`resumed ${name} (it was stopped)`);
      }
    }
    const states = await this.backendStates('db').catch(() => ({} as Record<string, string>));
    for (const node of this.#state.nodes) {
      const backends = this.#dbBackends(node.name);
      const inMaint = Object.entries(states).some(([k, v]) => backends.some((b) => k.startsWith(`${b}/`)) && v.startsWith('MAINT'));
      if (inMaint) {
        await this.restoreNodeDatabase(node.name);
        done.push(`reconnected ${node.name} to the database`);
      }
    }
    for (const name of Object.keys(this.#state.processes)) {
      if (this.alive(name)) continue;
      await this.start(name);
      done.push(`started ${name} again`);
    }
    return done;
  }

  /** Back to `ready`; the health checks then decide which member is UP (the primary). */
  async restoreNodeDatabase(node: string): Promise<void> {
    for (const backend of this.#dbBackends(node)) {
      for (const pg of this.#state.postgres) await this.#dbCommand(`set server ${backend}/${pg.name} state ready`);
    }
  }
}
