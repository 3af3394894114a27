import type { AdminRoleStore, CustomRole } from '../admin/store.ts';
import { PERMISSIONS, type Permission } from '../admin/roles.ts';
import type { AuditEvent, AuditRecorder } from '../audit/log.ts';
import { auditChainOn } from './audit-store.ts';
import type { Database, Queryable } from './db.ts';

interface RoleRow {
  name: string;
  permissions: string;
  description: string;
  created_at: unknown;
}

/** A stored role; a permission this version no longer knows grants nothing. */
function toRole(r: RoleRow): CustomRole {
  const listed = JSON.parse(r.permissions) as string[];
  const permissions = listed.filter((p): p is Permission => (PERMISSIONS as readonly string[]).includes(p));
  return { name: r.name, permissions, description: r.description, createdAt: Number(r.created_at) };
}

/** The `admin_roles` table: custom token roles. */
export class SqlAdminRoleStore implements AdminRoleStore {
  constructor(
    private readonly db: Database,
    private readonly q: Queryable = db,
    private readonly recorder: AuditRecorder | undefined = undefined,
  ) {}

  transaction<T>(fn: (store: AdminRoleStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlAdminRoleStore(this.db, tx, this.recorder)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  async insertRole(role: CustomRole): Promise<boolean> {
    return (await this.q.exec(
      'INSERT INTO admin_roles (name, permissions, description, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [role.name, JSON.stringify(role.permissions), role.description, role.createdAt],
    )) === 1;
  }

  async roles(): Promise<CustomRole[]> {
    return (await this.q.query<RoleRow>('SELECT name, permissions, description, created_at FROM admin_roles ORDER BY name')).map(toRole);
  }

  async role(name: string): Promise<CustomRole | undefined> {
    const row = (await this.q.query<RoleRow>('SELECT name, permissions, description, created_at FROM admin_roles WHERE name = ?', [name]))[0];
    return row && toRole(row);
  }

  async removeRole(name: string): Promise<boolean> {
    return (await this.q.exec('DELETE FROM admin_roles WHERE name = ?', [name])) === 1;
  }

  async liveTokens(role: string, now: number): Promise<number> {
    const rows = await this.q.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM admin_tokens WHERE role = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)', [role, now]);
    return Number(rows[0]?.n ?? 0);
  }
}
