import { sql } from 'kysely';
import type { Trx } from '../platform/db.ts';
import { afterCommit } from '../platform/tenancy.ts';
import type { CanonicalOrder, CanonicalRefund, CommerceChange, OrderStatus } from './model.ts';
import { COUNTED_STATUSES, refreshRollups, touchesOfOrders, type Touch } from './rollups.ts';
import { newestBy, sourceIs, type WriteContext } from './write-context.ts';
import { resolveStores, upsertOrders, writeCustomers, writeLines, writeProducts } from './write-rows.ts';
import './tables.ts';

export type { WriteContext, WriteLookups } from './write-context.ts';
export { resolveStores } from './write-rows.ts';

const COUNTED = sql.raw(COUNTED_STATUSES.map((x) => `'${x}'`).join(', '));

/**
 * Upserts orders with their lines in a few statements whatever their number: an order whose
 * `updatedAt` is older than the stored one is left alone (lines included).
 */
export async function writeOrders(trx: Trx, ctx: WriteContext, orders: readonly CanonicalOrder[]): Promise<string[]> {
  const list = newestBy(orders, (o) => o.externalId, (o) => o.updatedAt);
  if (list.length === 0) return [];
  const customers = await writeCustomers(trx, ctx, list.flatMap((o) => (o.customer ? [o.customer] : [])));
  const stores = ctx.storeId ? new Map<string, string>() : await resolveStores(trx, ctx.tenantId, list.flatMap((o) => (o.storeExternalId ? [o.storeExternalId] : [])), 'ingestion', ctx.lookups?.stores);
  // A bulk writer rebuilds rollups and first-order times over its whole range at its end: what the
  // orders were before matters only to the per-write refresh.
  const existing = ctx.bulk ? [] : await trx.selectFrom('orders').select(['id', 'customer_id']).where(sourceIs(ctx.sourceId)).where('external_id', 'in', list.map((o) => o.externalId)).execute();
  const before = await touchesOfOrders(trx, existing.map((o) => o.id));
  const full = list.filter((o) => !o.paymentOnly);
  const fullRows = await upsertOrders(trx, ctx, full, false, customers, stores);
  const rows = [...fullRows, ...(await upsertOrders(trx, ctx, list.filter((o) => o.paymentOnly), true, customers, stores))];
  // Lines belong to full orders only: a payment never replaces the items of an order. Lines of a
  // freshly inserted order cannot exist yet: only updated ones need their old lines removed.
  const fullIds = new Map(fullRows.map((r) => [r.external_id, r.id]));
  const replaced = new Set(fullRows.flatMap((r) => (r.inserted ? [] : [r.id])));
  if (fullIds.size > 0) await writeLines(trx, ctx, full.filter((o) => fullIds.has(o.externalId)), fullIds, replaced);
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return [];
  await attachRefunds(trx, ctx, ids);
  await settleRefunds(trx, ids, rows.flatMap((r) => (r.refunded ? [r.id] : [])));
  await ordersChanged(trx, ctx, ids, before, existing.flatMap((o) => (o.customer_id ? [o.customer_id] : [])));
  return ids;
}

/** Refreshes the touched rollup buckets and schedules the cache invalidation for after commit. */
async function settleRollups(trx: Trx, ctx: WriteContext, touches: readonly Touch[]): Promise<void> {
  await refreshRollups(trx, touches);
  const { invalidate } = ctx;
  if (invalidate) afterCommit(trx, () => invalidate(touches));
}

/**
 * Everything derived from orders, brought up to date in the same transaction: the rollup buckets
 * the orders left and entered, and the first-order time of their customers (before and after).
 */
async function ordersChanged(trx: Trx, ctx: WriteContext, orderIds: readonly string[], before: readonly Touch[] = [], formerCustomers: readonly string[] = []): Promise<void> {
  if (!ctx.bulk) {
    const touches = [...before, ...(await touchesOfOrders(trx, orderIds))];
    if (ctx.deferred) ctx.deferred.push(...touches);
    else await settleRollups(trx, ctx, touches);
  }
  if (ctx.bulk) return;
  await sql`update customers c set first_order_at = (
        select min(o.placed_at) from orders o where o.customer_id = c.id and o.status in (${COUNTED}))
      where c.id in (select unnest(${[...formerCustomers]}::uuid[]) union select customer_id from orders where id = any(${[...orderIds]}::uuid[]) and customer_id is not null)`.execute(trx);
}

/** Recomputes the first-order time of every customer with an order placed in a window: the end of a bulk write. */
export async function settleFirstOrders(trx: Trx, from: Date, to: Date): Promise<void> {
  await sql`update customers c set first_order_at = f.first
      from (select o.customer_id, min(o2.placed_at) as first
            from (select distinct customer_id from orders where placed_at >= ${from} and placed_at <= ${to} and customer_id is not null) o
            join orders o2 on o2.customer_id = o.customer_id and o2.status in (${COUNTED})
            group by o.customer_id) f
      where c.id = f.customer_id and c.first_order_at is distinct from f.first`.execute(trx);
}

/** Refunds that arrived before their order (out of order, or by payment reference) are attached once it exists. */
async function attachRefunds(trx: Trx, ctx: WriteContext, orderIds: readonly string[]): Promise<void> {
  await sql`update refunds r set order_id = o.id
      from orders o
      where o.id = any(${[...orderIds]}::uuid[]) and r.order_id is null
        and r.source_id is not distinct from ${ctx.sourceId}::uuid and o.source_id is not distinct from r.source_id
        and (r.order_external_id = o.external_id or (r.payment_ref is not null and r.payment_ref = o.payment_ref))`.execute(trx);
}

/**
 * Recomputes each order's refunded total from its refund rows (so a refund counted twice is
 * impossible) and moves a paid or fulfilled order to partially_refunded or refunded. Only orders
 * with refund rows, or among `refunded` (those whose stored refunded total may not be 0), can
 * move: an import of orders without refunds looks at none of them.
 */
async function settleRefunds(trx: Trx, orderIds: readonly string[], refunded: readonly string[] = orderIds): Promise<void> {
  if (orderIds.length === 0) return;
  await sql`with c as (select order_id as id from refunds where order_id = any(${[...orderIds]}::uuid[]) union select unnest(${[...refunded]}::uuid[]))
      update orders o set refunded_total = s.refunded, status = s.status, updated_at = now()
      from (
        select o2.id, r.refunded,
          case
            when o2.status in ('paid', 'fulfilled', 'partially_refunded', 'refunded') and r.refunded > 0 and r.refunded >= o2.total then 'refunded'
            when o2.status in ('paid', 'fulfilled', 'partially_refunded') and r.refunded > 0 then 'partially_refunded'
            else o2.status end as status
        from c join orders o2 on o2.id = c.id
        cross join lateral (select coalesce(sum(amount), 0) as refunded from refunds where order_id = o2.id) r
      ) s
      where o.id = s.id and (o.refunded_total is distinct from s.refunded or o.status is distinct from s.status)`.execute(trx);
}

/** Inserts refunds (a refund id seen twice is one refund), attaches them to their orders and settles those orders. */
export async function writeRefunds(trx: Trx, ctx: WriteContext, refunds: readonly CanonicalRefund[]): Promise<string[]> {
  const list = newestBy(refunds, (r) => r.externalId, (r) => r.refundedAt);
  if (list.length === 0) return [];
  await trx
    .insertInto('refunds')
    .values(
      list.map((r) => ({
        tenant_id: ctx.tenantId,
        source_id: ctx.sourceId,
        external_id: r.externalId,
        order_external_id: r.orderExternalId,
        payment_ref: r.paymentRef,
        amount: r.amount,
        currency: r.currency,
        reason: r.reason,
        refunded_at: r.refundedAt,
      })),
    )
    .onConflict((oc) => oc.columns(['tenant_id', 'source_id', 'external_id']).doNothing())
    .execute();
  const byOrder = [...new Set(list.flatMap((r) => (r.orderExternalId ? [r.orderExternalId] : [])))];
  const byPayment = [...new Set(list.flatMap((r) => (r.paymentRef ? [r.paymentRef] : [])))];
  const orders = await trx
    .selectFrom('orders')
    .select('id')
    .where(sourceIs(ctx.sourceId))
    .where((eb) => eb.or([...(byOrder.length ? [eb('external_id', 'in', byOrder)] : []), ...(byPayment.length ? [eb('payment_ref', 'in', byPayment)] : [])]))
    .execute();
  const ids = orders.map((o) => o.id);
  await attachRefunds(trx, ctx, ids);
  await settleRefunds(trx, ids);
  await ordersChanged(trx, ctx, ids);
  return ids;
}

/**
 * A status known only by reference (a payment captured). Updates the order when this is newer;
 * creates a minimal one from the amount when no order exists yet; fails when neither is possible,
 * so the job retries until the order arrives (or the event becomes a dead letter).
 */
async function writeOrderStatus(trx: Trx, ctx: WriteContext, c: Extract<CommerceChange, { kind: 'order-status' }>): Promise<void> {
  const existing = await trx
    .selectFrom('orders')
    .select(['id', 'provider_updated_at'])
    .where(sourceIs(ctx.sourceId))
    .where((eb) => eb.or([eb('external_id', '=', c.orderExternalId), ...(c.paymentRef ? [eb('payment_ref', '=', c.paymentRef)] : [])]))
    .forUpdate()
    .executeTakeFirst();
  if (existing) {
    if (existing.provider_updated_at.getTime() > Date.parse(c.updatedAt)) return;
    await trx
      .updateTable('orders')
      .set({ status: c.status, provider_updated_at: c.updatedAt, payment_ref: sql`coalesce(payment_ref, ${c.paymentRef})`, updated_at: sql`now()` })
      .where('id', '=', existing.id)
      .execute();
    // The payment reference may be new: refunds that named it can be attached now.
    await attachRefunds(trx, ctx, [existing.id]);
    await settleRefunds(trx, [existing.id]);
    await ordersChanged(trx, ctx, [existing.id]);
    return;
  }
  if (c.amount === null || c.currency === null) throw new Error(`order ${c.orderExternalId} is not known yet`);
  await writeOrders(trx, ctx, [
    {
      externalId: c.orderExternalId, orderNumber: null, paymentRef: c.paymentRef, storeExternalId: null, channel: null, customer: null,
      currency: c.currency, status: c.status, subtotal: c.amount, discountTotal: '0', taxTotal: '0', shippingTotal: '0', total: c.amount,
      lines: [], placedAt: c.updatedAt, cancelledAt: null, updatedAt: c.updatedAt, paymentOnly: true,
    },
  ]);
}

async function writeOrderDeleted(trx: Trx, ctx: WriteContext, c: Extract<CommerceChange, { kind: 'order-deleted' }>): Promise<void> {
  const status: OrderStatus = 'deleted';
  const rows = await trx
    .updateTable('orders')
    .set({ status, provider_updated_at: sql`greatest(provider_updated_at, ${c.updatedAt}::timestamptz)`, updated_at: sql`now()` })
    .where(sourceIs(ctx.sourceId))
    .where('external_id', '=', c.orderExternalId)
    .returning('id')
    .execute();
  await ordersChanged(trx, ctx, rows.map((r) => r.id));
}

/** Applies a list of canonical changes in the caller's transaction; idempotent and order-insensitive. */
export async function applyChanges(trx: Trx, outer: WriteContext, changes: readonly CommerceChange[]): Promise<void> {
  const ctx: WriteContext = { ...outer, deferred: [] };
  const by = <K extends CommerceChange['kind']>(k: K) => changes.filter((c): c is Extract<CommerceChange, { kind: K }> => c.kind === k);
  await writeCustomers(trx, ctx, by('customer').map((c) => c.customer));
  await writeProducts(trx, ctx, by('product').map((c) => c.product));
  await writeOrders(trx, ctx, by('order').map((c) => c.order));
  for (const c of by('order-status')) await writeOrderStatus(trx, ctx, c);
  for (const c of by('order-deleted')) await writeOrderDeleted(trx, ctx, c);
  await writeRefunds(trx, ctx, by('refund').map((c) => c.refund));
  await settleRollups(trx, outer, ctx.deferred ?? []);
}
