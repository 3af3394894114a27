/**
 * What `certainty apply` would change, per object, and the words an operator reads about it.
 * Each kind of object in an apply file (issuers, managed certificates…) has an `Applier` that
 * reads what is stored, compares it with the file and returns `Change`s; apply.ts runs them.
 */
import type { Kek } from '../kek/kek.ts';
import type { ProbeStore } from '../lifecycle/probe/store.ts';
import type { LifecycleStore } from '../lifecycle/store.ts';

/** The stores appliers write to; a new kind of object adds its domain's store here. */
interface ApplyStores {
  lifecycle: LifecycleStore;
  probes: ProbeStore;
}

/** What an applier works with; inside the apply transaction every store is bound to it. */
export interface ApplyContext extends ApplyStores {
  kek: Kek;
  now: () => number;
  /** Who the audit records name: `cli:<user>` or `token:<id>`. */
  actor: string;
}

/** What the composition root hands apply: the stores, and one transaction binding them all (all or nothing). */
export interface ApplyDeps extends ApplyContext {
  transaction: <T>(fn: (stores: ApplyStores) => Promise<T>) => Promise<T>;
}

export interface Change {
  op: 'create' | 'update' | 'remove';
  /** `issuer`, `managed`… as the plan prints it. */
  noun: string;
  name: string;
  /** For an update: the fields that differ, as named in the file. */
  fields: string[];
  /** Makes the change and appends its audit record, in the apply transaction. */
  run: (ctx: ApplyContext) => Promise<void>;
}

/** One kind of object an apply file declares, under its own top-level key. */
export interface Applier {
  /** The file's key: `issuers`, `managed`, `probes`. */
  section: string;
  /**
   * Checks every entry of the file (all before any change: a mistake throws a `malformed`
   * AppError whose detail starts with the path in the file, `managed[2].targets[0].path`) and
   * returns the changes that make the stored objects match, removals of objects not in the file
   * included (run only with `--prune`).
   */
  plan: (doc: ApplyDocument, ctx: ApplyContext) => Promise<Change[]>;
}

/** The file after parsing and reading its secret sources: each section a list of entries. */
export type ApplyDocument = Readonly<Record<string, readonly unknown[]>>;

/** JSON with object keys sorted, so two values compare equal whatever order their keys came in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v));
}

/** The keys (of either side) whose values differ, in a stable order; undefined and absent are the same. */
export function changedFields(want: Record<string, unknown>, have: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(want), ...Object.keys(have)])].sort();
  return keys.filter((k) => canonical(want[k]) !== canonical(have[k]));
}

/** One line per change, as `--dry-run` prints it. */
export function planLine(c: Change, opts: { prune: boolean; dryRun: boolean }): string {
  if (c.op === 'create') return `+ ${c.noun} ${c.name} (new)`;
  if (c.op === 'update') return `~ ${c.noun} ${c.name}: ${c.fields.join(', ')}`;
  if (!opts.prune) return `- ${c.noun} ${c.name} (would be removed with --prune)`;
  return `- ${c.noun} ${c.name} (${opts.dryRun ? 'would be removed' : 'removed'})`;
}

export interface ApplySummary {
  created: number;
  updated: number;
  removed: number;
}

/** The closing line: `2 created, 1 updated, 0 removed`, or `no changes`. */
export function summaryLine(s: ApplySummary, dryRun: boolean): string {
  if (s.created + s.updated + s.removed === 0) return 'no changes';
  return dryRun
    ? `${s.created} to create, ${s.updated} to update, ${s.removed} to remove (dry run: nothing changed)`
    : `${s.created} created, ${s.updated} updated, ${s.removed} removed`;
}
