import { certSha256Hex } from '../ca/pem.ts';
import type { DiscoveredCertificate, ProbeEndpoint, ProbeOutcome, ProbeStore } from '../lifecycle/probe/store.ts';
import { SqlConditionStore } from './condition-store.ts';
import type { Queryable } from './db.ts';
import { SqlNotifyStore } from './notify-store.ts';

const PROBE_COLS = 'name, host, port, servername, trust_pem, expected_managed, interval_ms, unreachable_after, next_probe_at, result, created_at, version';
const FOUND_COLS = 'endpoint, fingerprint, serial, subject, names, issuer, not_after, issued_here, first_seen, last_seen';

interface ProbeRow {
  name: string; host: string; port: number; servername: string | null; trust_pem: string | null; expected_managed: string | null;
  interval_ms: number | string; unreachable_after: number | string; next_probe_at: number | string; result: string | null; created_at: number | string;
  version: number | string;
}

interface FoundRow {
  endpoint: string; fingerprint: string; serial: string; subject: string; names: string; issuer: string;
  not_after: number | string; issued_here: number; first_seen: number | string; last_seen: number | string;
}

const toProbe = (r: ProbeRow): ProbeEndpoint => ({
  name: r.name, host: r.host, port: Number(r.port), servername: r.servername, trustPem: r.trust_pem, expectedManaged: r.expected_managed,
  intervalMs: Number(r.interval_ms), unreachableAfter: Number(r.unreachable_after), nextProbeAt: Number(r.next_probe_at), createdAt: Number(r.created_at),
  version: Number(r.version), last: r.result === null ? null : outcomeOf(r.result),
});

/** A stored result; one stored before errors were counted (migration 18) counts its own. */
function outcomeOf(json: string): ProbeOutcome {
  const o = JSON.parse(json) as Omit<ProbeOutcome, 'consecutiveErrors'> & { consecutiveErrors?: number };
  return { ...o, consecutiveErrors: o.consecutiveErrors ?? (o.outcome === 'error' ? 1 : 0) };
}

const toFound = (r: FoundRow): DiscoveredCertificate => ({
  endpoint: r.endpoint, fingerprint256: r.fingerprint, serial: r.serial, subject: r.subject, names: JSON.parse(r.names) as string[], issuer: r.issuer,
  notAfter: Number(r.not_after), issuedHere: Number(r.issued_here) === 1, firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen),
});

/** The probe tables (migrations 17 and 18); see src/lifecycle/probe/store.ts. */
export class SqlProbeStore extends SqlConditionStore<ProbeStore> implements ProbeStore {
  protected bound(tx: Queryable): ProbeStore {
    return new SqlProbeStore(this.db, tx, this.recorder, this.events);
  }

  async insertProbe(p: ProbeEndpoint): Promise<boolean> {
    const n = await this.q.exec(
      `INSERT INTO probe_endpoints (${PROBE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, 1) ON CONFLICT DO NOTHING`,
      [p.name, p.host, p.port, p.servername, p.trustPem, p.expectedManaged, p.intervalMs, p.unreachableAfter, p.nextProbeAt, p.createdAt],
    );
    return n === 1;
  }

  async updateProbe(p: ProbeEndpoint, version: number): Promise<boolean> {
    const n = await this.q.exec(
      `UPDATE probe_endpoints SET host = ?, port = ?, servername = ?, trust_pem = ?, expected_managed = ?, interval_ms = ?, unreachable_after = ?, next_probe_at = ?,
       version = version + 1 WHERE name = ? AND version = ?`,
      [p.host, p.port, p.servername, p.trustPem, p.expectedManaged, p.intervalMs, p.unreachableAfter, p.nextProbeAt, p.name, version],
    );
    return n === 1;
  }

  async probe(name: string): Promise<ProbeEndpoint | undefined> {
    const [row] = await this.q.query<ProbeRow>(`SELECT ${PROBE_COLS} FROM probe_endpoints WHERE name = ?`, [name]);
    return row && toProbe(row);
  }

  async probes(): Promise<ProbeEndpoint[]> {
    return (await this.q.query<ProbeRow>(`SELECT ${PROBE_COLS} FROM probe_endpoints ORDER BY name`)).map(toProbe);
  }

  async deleteProbe(name: string): Promise<boolean> {
    await new SqlNotifyStore(this.db, this.q).forgetSubject(`probe:${name}`);
    return (await this.q.exec('DELETE FROM probe_endpoints WHERE name = ?', [name])) === 1;
  }

  async dueProbes(now: number, limit: number): Promise<ProbeEndpoint[]> {
    const rows = await this.q.query<ProbeRow>(`SELECT ${PROBE_COLS} FROM probe_endpoints WHERE next_probe_at <= ? ORDER BY next_probe_at LIMIT ?`, [now, limit]);
    return rows.map(toProbe);
  }

  async claimProbe(name: string, expectedNext: number, next: number): Promise<boolean> {
    return (await this.q.exec('UPDATE probe_endpoints SET next_probe_at = ? WHERE name = ? AND next_probe_at = ?', [next, name, expectedNext])) === 1;
  }

  async saveResult(name: string, last: ProbeOutcome): Promise<void> {
    await this.q.exec('UPDATE probe_endpoints SET result = ? WHERE name = ?', [JSON.stringify(last), name]);
  }

  async managedFingerprint(name: string): Promise<string | undefined> {
    const [row] = await this.q.query<{ cert_pem: string }>(
      'SELECT r.cert_pem FROM managed_certificates m JOIN managed_revisions r ON r.managed_name = m.name AND r.revision = m.current_revision WHERE m.name = ?',
      [name],
    );
    return row === undefined ? undefined : certSha256Hex(row.cert_pem);
  }

  async issuedHere(serial: string, fingerprint256: string): Promise<boolean> {
    const [row] = await this.q.query<{ der: unknown }>('SELECT der FROM certificates WHERE serial = ?', [serial]);
    return row !== undefined && certSha256Hex(new Uint8Array(row.der as Buffer)) === fingerprint256;
  }

  async upsertDiscovered(c: DiscoveredCertificate): Promise<void> {
    await this.q.exec(
      `INSERT INTO discovered_certificates (${FOUND_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (endpoint, fingerprint) DO UPDATE SET last_seen = excluded.last_seen, issued_here = excluded.issued_here`,
      [c.endpoint, c.fingerprint256, c.serial, c.subject, JSON.stringify(c.names), c.issuer, c.notAfter, c.issuedHere ? 1 : 0, c.firstSeen, c.lastSeen],
    );
  }

  async discovered(): Promise<DiscoveredCertificate[]> {
    return (await this.q.query<FoundRow>(`SELECT ${FOUND_COLS} FROM discovered_certificates ORDER BY endpoint, first_seen`)).map(toFound);
  }
}
