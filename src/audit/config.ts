import { z } from 'zod';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected host:port, e.g. siem.internal:6514');
const positive = z.number().int().positive();
const sinkNameText = z.string().regex(/^[\w.:@/-]{1,100}$/, 'letters, digits and . : @ / - _ only, at most 100 characters');

const syslogSink = z.strictObject({
  type: z.literal('syslog'),
  /** Stable identity of the sink's delivery cursor; defaults to `syslog:<address>`. */
  name: sinkNameText.optional(),
  address: hostPort,
  tls: z.boolean().optional(),
  /** PEM bundle trusted for the receiver's certificate (TLS); the system roots otherwise. */
  caFile: z.string().optional(),
  /** TLS server name to verify; defaults to the host of `address`. */
  serverName: z.string().optional(),
});

const webhookSink = z.strictObject({
  type: z.literal('webhook'),
  /** Stable identity of the sink's delivery cursor; defaults to `webhook:<origin><path>`. */
  name: sinkNameText.optional(),
  url: z.url({ protocol: /^https?$/ }),
  /** Extra request headers, e.g. an Authorization header for the receiver. Never logged or recorded. */
  headers: z.record(z.string(), z.string()).optional(),
  caFile: z.string().optional(),
});

const auditSinkSchema = z.discriminatedUnion('type', [syslogSink, webhookSink]);

/** The `audit` section of the configuration (src/config/schema.ts). Tuning keys left out take AUDIT_DEFAULTS. */
export const auditConfigSchema = z.strictObject({
  sinks: z.array(auditSinkSchema),
  /** Records per syslog connection or webhook POST. */
  batchSize: z.number().int().min(1).max(1000).optional(),
  /** How often each node looks for undelivered records. */
  pollMs: z.number().int().min(50).max(60_000).optional(),
  /** Connect + send + acknowledgement limit for one batch. */
  timeoutMs: positive.optional(),
  /** Backoff after a failed delivery: retryMinMs, doubling, at most retryMaxMs. */
  retryMinMs: positive.optional(),
  retryMaxMs: positive.optional(),
  /** How often each node signs its chain head (when it moved): records after the last checkpoint are the ones a database-only attacker could still rewrite. */
  checkpointIntervalSeconds: z.number().int().min(1).max(86_400).optional(),
});

export type AuditSinkConfig = z.infer<typeof auditSinkSchema>;
export type AuditConfig = z.infer<typeof auditConfigSchema>;

/** The section with every tuning key resolved. */
export interface AuditSettings {
  sinks: AuditSinkConfig[];
  batchSize: number;
  pollMs: number;
  timeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  checkpointIntervalSeconds: number;
}

export const AUDIT_DEFAULTS: AuditSettings = {
  sinks: [],
  batchSize: 100,
  pollMs: 1000,
  timeoutMs: 10_000,
  retryMinMs: 1000,
  retryMaxMs: 60_000,
  checkpointIntervalSeconds: 60,
};

export function auditSettings(config: AuditConfig): AuditSettings {
  const d = AUDIT_DEFAULTS;
  return {
    sinks: config.sinks, batchSize: config.batchSize ?? d.batchSize, pollMs: config.pollMs ?? d.pollMs, timeoutMs: config.timeoutMs ?? d.timeoutMs,
    retryMinMs: config.retryMinMs ?? d.retryMinMs, retryMaxMs: config.retryMaxMs ?? d.retryMaxMs,
    checkpointIntervalSeconds: config.checkpointIntervalSeconds ?? d.checkpointIntervalSeconds,
  };
}

/** The sink's cursor name: its `name`, else derived from where it sends (never from headers or a query string). */
export function sinkName(sink: AuditSinkConfig): string {
  if (sink.name !== undefined) return sink.name;
  if (sink.type === 'syslog') return `syslog:${sink.address}`;
  const url = new URL(sink.url);
  return `webhook:${url.origin}${url.pathname}`;
}
