/**
 * `certainty apply -f FILE` and `POST /admin/apply`: make the stored issuers, managed
 * certificates and TLS probes match a declarative file. Every entry is checked before the first change; the
 * changes then run in one transaction, each audited, so an apply is all or nothing. Objects
 * not in the file are left alone unless `prune` is set. Adding a kind of object is one
 * `Applier` in APPLIERS.
 */
import { checkSections } from './apply-document.ts';
import { issuerApplier } from './apply-issuers.ts';
import { managedApplier } from './apply-managed.ts';
import { probeApplier } from './apply-probes.ts';
import { planLine, summaryLine, type Applier, type ApplyContext, type ApplyDeps, type ApplySummary, type Change } from './apply-plan.ts';

/**
 * Every kind an apply file declares, in the order they are created and updated (an issuer before
 * the certificates it issues, a certificate before the probes expecting it); removals run in the
 * reverse order.
 */
const APPLIERS: readonly Applier[] = [issuerApplier, managedApplier, probeApplier];

const SECTIONS: readonly string[] = APPLIERS.map((a) => a.section);

export interface ApplyOptions {
  dryRun: boolean;
  prune: boolean;
  /** Told after each object is applied (`kind name`, how many of all the changes); the CLI draws a bar from it. */
  onProgress?: (object: string, done: number, total: number) => void;
}

export interface ApplyResult extends ApplySummary {
  dryRun: boolean;
  changes: Array<{ op: Change['op']; kind: string; name: string; fields: string[]; applied: boolean }>;
  /** The plan in words, one line per change, then the summary line. */
  lines: string[];
  summary: string;
}

async function plan(ctx: ApplyContext, doc: unknown): Promise<Change[]> {
  const document = checkSections(doc, SECTIONS);
  const changes: Change[] = [];
  // A section the file leaves out is not looked at, so --prune never empties a kind the file does not mention.
  for (const applier of APPLIERS) if (applier.section in document) changes.push(...(await applier.plan(document, ctx)));
  return changes;
}

/** Applies `doc` (already read by apply-document.ts), or with `dryRun` only says what it would do. */
export async function applyDocument(ctx: ApplyDeps, doc: unknown, opts: ApplyOptions): Promise<ApplyResult> {
  const changes = await plan(ctx, doc);
  const upserts = changes.filter((c) => c.op !== 'remove');
  const removals = opts.prune ? changes.filter((c) => c.op === 'remove').reverse() : [];
  const runs = [...upserts, ...removals];
  if (!opts.dryRun && runs.length > 0) {
    await ctx.transaction(async (stores) => {
      const tx: ApplyContext = { ...ctx, ...stores };
      for (const [i, c] of runs.entries()) {
        await c.run(tx);
        opts.onProgress?.(`${c.noun} ${c.name}`, i + 1, runs.length);
      }
    });
  }
  const counts: ApplySummary = {
    created: upserts.filter((c) => c.op === 'create').length, updated: upserts.filter((c) => c.op === 'update').length, removed: removals.length,
  };
  const summary = summaryLine(counts, opts.dryRun);
  return {
    ...counts, dryRun: opts.dryRun, summary,
    changes: changes.map((c) => ({ op: c.op, kind: c.noun, name: c.name, fields: c.fields, applied: !opts.dryRun && (c.op !== 'remove' || opts.prune) })),
    lines: [...changes.map((c) => planLine(c, opts)), summary],
  };
}
