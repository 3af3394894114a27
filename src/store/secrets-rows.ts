import type { SecretRow, VersionRow } from '../secrets/store.ts';
import type { GeneratorSpec, PolicyRule } from '../secrets/types.ts';

/** A `secrets` row as the drivers return it (BIGINT may come back as a string on PostgreSQL). */
export interface SecretDbRow {
  path: string;
  current_version: number;
  max_versions: number;
  cas_required: number;
  delete_version_after_ms: number | string;
  reveal_reason_required: number;
  honeytoken: number;
  custom_metadata: string;
  generator: string | null;
  rotate_every_ms: number | string;
  next_rotation_at: number | string | null;
  created_at: number | string;
  updated_at: number | string;
  version: number;
}

export const SECRET_COLS = 'path, current_version, max_versions, cas_required, delete_version_after_ms, reveal_reason_required, honeytoken, custom_metadata, generator, rotate_every_ms, next_rotation_at, created_at, updated_at, version';

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function toSecret(r: SecretDbRow): SecretRow {
  return {
    path: r.path,
    settings: {
      maxVersions: Number(r.max_versions), casRequired: Number(r.cas_required) === 1, deleteVersionAfterMs: Number(r.delete_version_after_ms),
      revealReasonRequired: Number(r.reveal_reason_required) === 1, honeytoken: Number(r.honeytoken) === 1,
      customMetadata: JSON.parse(r.custom_metadata) as Record<string, string>, generator: r.generator === null ? null : (JSON.parse(r.generator) as GeneratorSpec),
      rotateEveryMs: Number(r.rotate_every_ms),
    },
    currentVersion: Number(r.current_version), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at), nextRotationAt: num(r.next_rotation_at), rowVersion: Number(r.version),
  };
}

/** The row's values in SECRET_COLS order, without `version` (the caller sets it). */
export function fromSecret(s: Omit<SecretRow, 'rowVersion'>): unknown[] {
  const t = s.settings;
  return [
    s.path, s.currentVersion, t.maxVersions, t.casRequired ? 1 : 0, t.deleteVersionAfterMs, t.revealReasonRequired ? 1 : 0, t.honeytoken ? 1 : 0,
    JSON.stringify(t.customMetadata), t.generator === null ? null : JSON.stringify(t.generator), t.rotateEveryMs, s.nextRotationAt, s.createdAt, s.updatedAt,
  ];
}

export interface VersionDbRow {
  id: string;
  path: string;
  version: number;
  value_wrapped: Buffer | null;
  created_at: number | string;
  created_by: string;
  deleted_at: number | string | null;
  destroyed_at: number | string | null;
}

export const VERSION_COLS = 'id, path, version, value_wrapped, created_at, created_by, deleted_at, destroyed_at';

export function toVersion(r: VersionDbRow): VersionRow {
  return {
    id: r.id, path: r.path, version: Number(r.version), blob: r.value_wrapped === null ? null : Buffer.from(r.value_wrapped),
    createdAt: Number(r.created_at), createdBy: r.created_by, deletedAt: num(r.deleted_at), destroyedAt: num(r.destroyed_at),
  };
}

export function fromVersion(v: VersionRow): unknown[] {
  return [v.id, v.path, v.version, v.blob, v.createdAt, v.createdBy, v.deletedAt, v.destroyedAt];
}

export function toRules(text: string): PolicyRule[] {
  return JSON.parse(text) as PolicyRule[];
}
