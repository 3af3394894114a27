import { collectDefaultMetrics, Registry } from 'prom-client';
import { defineMetrics, type MetricSet } from './catalog.ts';
import type { JobReport } from '../jobs/worker.ts';
import type { LifecycleReport } from '../lifecycle/report.ts';
import type { CrlReport } from '../ca/crl-publisher.ts';
import type { SecretReport } from '../secrets/deps.ts';
import type { SshReport } from '../ssh/deps.ts';
import type { AcmeReport } from './wrap.ts';
import { readClusterFacts, readNodeFacts, type ScrapeSources } from './scrape.ts';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/**
 * One node's metrics: its own registry (two nodes in one process share nothing), the counters the
 * domains report into through their own narrow interfaces, and the facts read at each scrape.
 * What the request and statement paths report into are plain numbers bound once (fast.ts), so
 * reporting there is an addition; the text is built only when Prometheus scrapes.
 */
export class Metrics implements AcmeReport, JobReport, LifecycleReport, SshReport, SecretReport, CrlReport {
  private readonly registry = new Registry();
  private readonly clusterRegistry = new Registry();
  private readonly m: MetricSet;
  private readonly byRoute = new Map<string, Array<{ inc(): void } | undefined>>();
  private readonly created: { inc(): void };
  private readonly valid: { inc(): void };
  private readonly invalid: { inc(): void };
  private readonly counted = { rejections: 0 };
  private readonly statements: Record<'query' | 'exec' | 'transaction', { observe(v: number): void }>;

  constructor(private readonly sources: ScrapeSources, version: string) {
    this.m = defineMetrics(this.registry, this.clusterRegistry);
    collectDefaultMetrics({ register: this.registry });
    this.m.buildInfo.labels(version).set(1);
    this.created = this.m.orders.child('created');
    this.valid = this.m.orders.child('valid');
    this.invalid = this.m.orders.child('invalid');
    this.statements = { query: this.m.dbSeconds.child('query'), exec: this.m.dbSeconds.child('exec'), transaction: this.m.dbSeconds.child('transaction') };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** An ACME request was answered (`route`: the ACME resource kind, or 'unknown'). */
  acmeRequest(route: string, status: number): void {
    let children = this.byRoute.get(route);
    if (children === undefined) {
      children = [];
      this.byRoute.set(route, children);
    }
    const i = Math.min(4, Math.max(0, Math.floor(status / 100) - 1));
    (children[i] ??= this.m.requests.child(route, STATUS_CLASSES[i] as string)).inc();
    if (route === 'newOrder' && status === 201) this.created.inc();
  }

  /** A database statement (or a whole transaction) finished. */
  statementFinished(op: 'query' | 'exec' | 'transaction', seconds: number): void {
    this.statements[op].observe(seconds);
  }

  /** A job attempt ended on this node's worker. */
  jobFinished(kind: string, outcome: 'completed' | 'failed', seconds: number): void {
    this.m.jobsFinished.labels(kind, outcome).inc();
    this.m.jobSeconds.labels(kind).observe(seconds);
  }

  /** A CA key signed something; a leaf signed for an ACME order makes that order valid. */
  signed(issuerId: string, purpose: 'leaf', forOrder: boolean): void {
    this.m.signatures.child(issuerId, purpose).inc();
    if (forOrder) this.valid.inc();
  }

  /** A challenge validation finished; an invalid one makes its order invalid. */
  validated(type: string, outcome: 'valid' | 'invalid' | 'error', seconds: number): void {
    this.m.validations.labels(type, outcome).inc();
    this.m.validationSeconds.labels(type).observe(seconds);
    if (outcome === 'invalid') this.invalid.inc();
  }

  upstreamOrder(issuer: string, outcome: 'created' | 'refused' | 'waiting'): void {
    this.m.upstreamOrders.labels(issuer, outcome).inc();
  }

  renewalFailed(name: string): void {
    this.m.renewalFailures.labels(name).inc();
  }

  deployFinished(target: string, outcome: 'deployed' | 'verified' | 'failed'): void {
    this.m.deploys.labels(target, outcome).inc();
  }

  sshSigned(kind: string, outcome: 'signed' | 'refused'): void {
    this.m.sshSigned.labels(kind, outcome).inc();
  }

  secretOperation(mount: string, operation: 'read' | 'write', outcome: 'success' | 'denied' | 'failed'): void {
    this.m.secretOps.labels(mount, operation, outcome).inc();
  }

  crlSigned(issuerId: string, seconds: number): void {
    this.m.crlSignSeconds.labels(issuerId).observe(seconds);
  }

  /** The text exposition format: the per-node facts read now, the cluster facts when this node exports them. */
  async render(): Promise<string> {
    await readNodeFacts(this.m, this.sources, this.counted);
    const cluster = await readClusterFacts(this.m, this.clusterRegistry, this.sources);
    return (await this.registry.metrics()) + (cluster ? await this.clusterRegistry.metrics() : '');
  }
}
