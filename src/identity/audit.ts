import type { Trx } from '../platform/db.ts';
import { decodeCursor, newestFirst, page, type Cursor } from '../platform/pagination.ts';
import { checkInstants } from '../platform/time-range.ts';
import { withTenant } from '../platform/tenancy.ts';
import type { IdentityDeps } from './context.ts';
import { auditRowToAuditEvent } from './mappers.ts';
import type { RequestMeta } from './context.ts';
import './tables.ts';

/** Appends one audit event in the caller's transaction, so it commits (or not) with the change it records. */
export async function recordAudit(
  trx: Trx,
  tenantId: string,
  meta: RequestMeta,
  action: string,
  target: { type: string; id: string } | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      tenant_id: tenantId,
      action,
      actor_type: meta.actorType,
      actor_id: meta.actorId,
      target_type: target?.type ?? null,
      target_id: target?.id ?? null,
      ip: meta.ip,
      user_agent: meta.userAgent?.slice(0, 512) ?? null,
      request_id: meta.requestId,
      details: JSON.stringify(details),
    })
    .execute();
}

/** A page of audit events, newest first, keyset on (occurred_at, id) descending. */
export async function findAuditEvents(trx: Trx, f: { limit: number; after: Cursor | null; actorId?: string; action?: string; from?: string; to?: string }) {
  let q = trx.selectFrom('audit_events').selectAll().$call(newestFirst(f.after, f.limit, 'occurred_at', 'id'));
  if (f.actorId) q = q.where('actor_id', '=', f.actorId);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.from) q = q.where('occurred_at', '>=', new Date(f.from));
  if (f.to) q = q.where('occurred_at', '<', new Date(f.to));
  return q.execute();
}

/** The audit log of a tenant, filtered and paged; `to` must come after `from`. */
export async function listAudit(d: IdentityDeps, tenantId: string, f: { limit?: number; cursor?: string; actor_id?: string; action?: string; from?: string; to?: string }) {
  checkInstants({ from: f.from, to: f.to }, 'query', ['from', 'to']);
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) =>
    findAuditEvents(trx, { limit, after, ...(f.actor_id ? { actorId: f.actor_id } : {}), ...(f.action ? { action: f.action } : {}), ...(f.from ? { from: f.from } : {}), ...(f.to ? { to: f.to } : {}) }),
  );
  const { items, next } = page(rows, limit, (r) => [r.occurred_at, r.id]);
  return { data: items.map(auditRowToAuditEvent), next_cursor: next };
}
