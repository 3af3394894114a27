import { readFileSync } from 'node:fs';
import type { AuditRecord } from './chain.ts';
import { sinkName, type AuditSinkConfig } from './config.ts';
import { SyslogSink } from './syslog.ts';
import { WebhookSink } from './webhook.ts';

/** An external receiver of audit records. `deliver` resolves only once the receiver acknowledged the whole batch. */
export interface AuditSink {
  /** Stable name; the key of the sink's delivery cursors. */
  readonly name: string;
  deliver(records: readonly AuditRecord[]): Promise<void>;
  close(): void;
}

function readCa(file: string | undefined, index: number): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`audit.sinks[${index}].caFile: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (!m) throw new Error(`audit sink address "${address}" is not host:port`);
  return { host: m[1] as string, port: Number(m[2]) };
}

/** Builds the configured sinks; fails naming the key when a file is unreadable or two sinks share a name. */
export function createSinks(configs: readonly AuditSinkConfig[], timeoutMs: number): AuditSink[] {
  const seen = new Set<string>();
  return configs.map((config, index) => {
    const name = sinkName(config);
    if (seen.has(name)) throw new Error(`audit.sinks[${index}]: another sink is already named "${name}"; give each sink a distinct "name"`);
    seen.add(name);
    const ca = readCa(config.caFile, index);
    if (config.type === 'webhook') return new WebhookSink(name, { url: new URL(config.url), headers: config.headers ?? {}, ca, timeoutMs });
    const { host, port } = splitAddress(config.address);
    const tls = config.tls === true ? { ca, serverName: config.serverName } : undefined;
    return new SyslogSink(name, { host, port, tls, timeoutMs });
  });
}
