import { AUDIT_ACTIONS, isAuditAction } from '../audit/chain.ts';
import type { CheckpointKey } from '../audit/checkpoint-key.ts';
import type { AuditFilter, AuditOutboxStore, AuditReadStore } from '../audit/store.ts';
import { verifyChains } from '../audit/verify.ts';
import { recordJson } from '../audit/wire.ts';
import { clusterStatus, type ClusterStatusDeps } from '../cluster/status.ts';
import { AppError } from '../errors.ts';
import { needs, ok, type AdminRoute } from './admin-routes.ts';
import * as S from './ops-schemas.ts';
import { z } from 'zod';

export interface OpsRouteDeps {
  cluster: ClusterStatusDeps;
  audit: {
    read: AuditReadStore;
    outbox: Pick<AuditOutboxStore, 'cursors'>;
    /** The cluster's checkpoint key, to check signed checkpoints; undefined before the first node made one. */
    checkpointKey: () => Promise<CheckpointKey | undefined>;
  };
}

function auditFilter(url: URL): AuditFilter {
  const q = url.searchParams;
  const limit = Number(q.get('limit') ?? '100');
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new AppError('malformed', '"limit" must be a whole number from 1 to 10000');
  const action = q.get('action') || undefined;
  if (action !== undefined && !isAuditAction(action)) throw new AppError('malformed', `"action" must be one of ${AUDIT_ACTIONS.join(', ')}`);
  const text = (name: string): Record<string, string> => {
    const v = q.get(name);
    return v === null || v === '' ? {} : { [name === 'node' ? 'nodeId' : name]: v };
  };
  return { limit, ...(action === undefined ? {} : { action }), ...text('actor'), ...text('object'), ...text('node') };
}

/**
 * What `certainty cluster status` and `certainty audit list | verify | sinks` show, for people
 * without a shell on a node (the web console reads these): status.read, like /admin/status.
 */
export function opsRoutes(d: OpsRouteDeps): AdminRoute[] {
  const status = needs('status.read');
  return [
    status('GET', /^\/admin\/cluster$/, async () => ok(await clusterStatus(d.cluster)), { summary: 'Nodes, leases and the job queue', response: S.clusterSchema }),
    status('GET', /^\/admin\/audit$/, async ({ url }) => ok((await d.audit.read.list(auditFilter(url))).map(recordJson)), {
      summary: 'Audit records, newest first', query: S.auditQuery, response: z.array(S.auditRecordSchema),
    }),
    status('GET', /^\/admin\/audit\/verify$/, async () => ok(await verifyChains(d.audit.read, { key: await d.audit.checkpointKey() })), { summary: 'Verify every audit chain', response: S.verifySchema }),
    status('GET', /^\/admin\/audit\/sinks$/, async () => ok(await d.audit.outbox.cursors()), { summary: 'Audit forwarding: each sink\'s cursor and lag', response: S.sinksSchema }),
  ];
}
