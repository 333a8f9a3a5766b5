import { sql } from 'kysely';
import type { FieldCipher } from '../platform/crypto/index.ts';
import type { Trx } from '../platform/db.ts';
import { afterCommit } from '../platform/tenancy.ts';
import type { CanonicalCustomer, CanonicalOrder, CanonicalProduct, CanonicalRefund, CommerceChange, OrderStatus } from './model.ts';
import { COUNTED_STATUSES, refreshRollups, touchesOfOrders, type Touch } from './rollups.ts';

const COUNTED = sql.raw(COUNTED_STATUSES.map((x) => `'${x}'`).join(', '));
import './tables.ts';

/** Where canonical rows come from: the source (null for the batch API and imports) and its tenant. */
export interface WriteContext {
  tenantId: string;
  sourceId: string | null;
  /** The store every order of this source belongs to, when the source is one store. */
  storeId: string | null;
  cipher: FieldCipher;
  /** Told, after the transaction commits, which moments' figures changed (cache invalidation). */
  invalidate?: (touches: readonly Touch[]) => Promise<void>;
  /**
   * When set, touched buckets are collected here and refreshed once by the caller (applyChanges):
   * one transaction then locks its buckets in one sorted step, so two writers cannot deadlock.
   */
  deferred?: Touch[];
  /**
   * A bulk writer (an import) that rebuilds the rollups of the range it wrote once, at its end, in
   * one aggregate (`rebuildRollups` with a window), instead of bucket by bucket after every batch.
   */
  bulk?: boolean;
}

const emailCtx = (tenantId: string) => ({ tenantId, table: 'customers', column: 'email' });
const nameCtx = (tenantId: string) => ({ tenantId, table: 'customers', column: 'name' });

/** Keeps, per key, the entry with the newest `updatedAt`: a batch may carry one object twice. */
function newestBy<T>(items: readonly T[], key: (t: T) => string, updatedAt: (t: T) => string): T[] {
  const m = new Map<string, T>();
  for (const it of items) {
    const prev = m.get(key(it));
    if (!prev || Date.parse(updatedAt(it)) >= Date.parse(updatedAt(prev))) m.set(key(it), it);
  }
  return [...m.values()];
}

const sourceIs = (sourceId: string | null) => (sourceId === null ? sql<boolean>`source_id is null` : sql<boolean>`source_id = ${sourceId}`);

/** Upserts customers (email and name encrypted, email blind-indexed); an older update never wins. Returns external id to row id. */
export async function writeCustomers(trx: Trx, ctx: WriteContext, customers: readonly CanonicalCustomer[]): Promise<Map<string, string>> {
  const list = newestBy(customers, (c) => c.externalId, (c) => c.updatedAt);
  if (list.length === 0) return new Map();
  await trx
    .insertInto('customers')
    .values(
      list.map((c) => ({
        tenant_id: ctx.tenantId,
        source_id: ctx.sourceId,
        external_id: c.externalId,
        email_ciphertext: c.email === null ? null : ctx.cipher.encrypt(c.email, emailCtx(ctx.tenantId)),
        email_index: c.email === null ? null : ctx.cipher.blindIndex(c.email, 'email', emailCtx(ctx.tenantId)),
        name_ciphertext: c.name === null ? null : ctx.cipher.encrypt(c.name, nameCtx(ctx.tenantId)),
        provider_created_at: c.createdAt,
        provider_updated_at: c.updatedAt,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'source_id', 'external_id'])
        .doUpdateSet((eb) => ({
          // A partial customer (an order's guest with no email) never erases what a full one said.
          email_ciphertext: sql`coalesce(excluded.email_ciphertext, customers.email_ciphertext)`,
          email_index: sql`coalesce(excluded.email_index, customers.email_index)`,
          name_ciphertext: sql`coalesce(excluded.name_ciphertext, customers.name_ciphertext)`,
          provider_created_at: sql`coalesce(customers.provider_created_at, excluded.provider_created_at)`,
          provider_updated_at: eb.ref('excluded.provider_updated_at'),
          updated_at: sql`now()`,
        }))
        .where('customers.provider_updated_at', '<=', (eb) => eb.ref('excluded.provider_updated_at')),
    )
    .execute();
  const rows = await trx.selectFrom('customers').select(['id', 'external_id']).where(sourceIs(ctx.sourceId)).where('external_id', 'in', list.map((c) => c.externalId)).execute();
  return new Map(rows.map((r) => [r.external_id, r.id]));
}

/** Upserts products; an older update never wins. */
export async function writeProducts(trx: Trx, ctx: WriteContext, products: readonly CanonicalProduct[]): Promise<void> {
  const list = newestBy(products, (p) => p.externalId, (p) => p.updatedAt);
  if (list.length === 0) return;
  await trx
    .insertInto('products')
    .values(
      list.map((p) => ({
        tenant_id: ctx.tenantId,
        source_id: ctx.sourceId,
        external_id: p.externalId,
        title: p.title,
        sku: p.sku,
        price: p.price,
        currency: p.currency,
        status: p.status,
        provider_updated_at: p.updatedAt,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'source_id', 'external_id'])
        .doUpdateSet((eb) => ({
          title: eb.ref('excluded.title'),
          sku: eb.ref('excluded.sku'),
          price: eb.ref('excluded.price'),
          currency: eb.ref('excluded.currency'),
          status: eb.ref('excluded.status'),
          provider_updated_at: eb.ref('excluded.provider_updated_at'),
          updated_at: sql`now()`,
        }))
        .where('products.provider_updated_at', '<=', (eb) => eb.ref('excluded.provider_updated_at')),
    )
    .execute();
}

/** Finds or creates the stores named by external id (created by ingestion); returns external id to row id. */
export async function resolveStores(trx: Trx, tenantId: string, externalIds: readonly string[], via: 'import' | 'ingestion' = 'ingestion'): Promise<Map<string, string>> {
  const ids = [...new Set(externalIds)];
  if (ids.length === 0) return new Map();
  await trx
    .insertInto('stores')
    .values(ids.map((e) => ({ tenant_id: tenantId, external_id: e, name: e, created_via: via })))
    .onConflict((oc) => oc.columns(['tenant_id', 'external_id']).doNothing())
    .execute();
  const rows = await trx.selectFrom('stores').select(['id', 'external_id']).where('external_id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.external_id, r.id]));
}

const units = (o: CanonicalOrder) => o.lines.reduce((n, l) => n + l.quantity, 0);

// The details a payment-only update leaves alone on an order that has them (it sets only the
// status, payment reference, customer and update time).
const DETAIL_FIELDS = ['currency', 'subtotal', 'discount_total', 'tax_total', 'shipping_total', 'total', 'units', 'placed_at', 'cancelled_at'] as const;

/**
 * One multi-row upsert of full or payment-only orders; answers external id to row id for the rows
 * it changed. An update older than the stored order changes nothing, except that a full order
 * always fills in a payment-only one (keeping the payment's status when that is newer).
 */
async function upsertOrders(trx: Trx, ctx: WriteContext, list: readonly CanonicalOrder[], paymentOnly: boolean, customers: Map<string, string>, stores: Map<string, string>, replaced: Set<string>): Promise<Map<string, string>> {
  if (list.length === 0) return new Map();
  const detail = (col: string) => (paymentOnly ? sql`case when orders.payment_only then excluded.${sql.ref(col)} else orders.${sql.ref(col)} end` : sql`excluded.${sql.ref(col)}`);
  const set: Record<string, unknown> = Object.fromEntries(DETAIL_FIELDS.map((c) => [c, detail(c)]));
  const applied = await trx
    .insertInto('orders')
    .values(
      list.map((o) => ({
        tenant_id: ctx.tenantId,
        source_id: ctx.sourceId,
        external_id: o.externalId,
        order_number: o.orderNumber,
        payment_ref: o.paymentRef,
        store_id: ctx.storeId ?? (o.storeExternalId ? (stores.get(o.storeExternalId) ?? null) : null),
        customer_id: o.customer ? (customers.get(o.customer.externalId) ?? null) : null,
        channel: o.channel,
        currency: o.currency,
        status: o.status,
        subtotal: o.subtotal,
        discount_total: o.discountTotal,
        tax_total: o.taxTotal,
        shipping_total: o.shippingTotal,
        total: o.total,
        units: units(o),
        placed_at: o.placedAt,
        cancelled_at: o.cancelledAt,
        provider_updated_at: o.updatedAt,
        payment_only: paymentOnly,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'source_id', 'external_id'])
        .doUpdateSet({
          ...set,
          order_number: sql`coalesce(${detail('order_number')}, orders.order_number)`,
          store_id: sql`coalesce(${detail('store_id')}, orders.store_id)`,
          channel: sql`coalesce(${detail('channel')}, orders.channel)`,
          payment_ref: sql`coalesce(excluded.payment_ref, orders.payment_ref)`,
          customer_id: sql`coalesce(excluded.customer_id, orders.customer_id)`,
          status: paymentOnly ? sql`excluded.status` : sql`case when orders.payment_only and orders.provider_updated_at > excluded.provider_updated_at then orders.status else excluded.status end`,
          provider_updated_at: sql`greatest(orders.provider_updated_at, excluded.provider_updated_at)`,
          payment_only: paymentOnly ? sql`orders.payment_only` : false,
          updated_at: sql`now()`,
        })
        .where(paymentOnly ? sql<boolean>`orders.provider_updated_at <= excluded.provider_updated_at` : sql<boolean>`(orders.provider_updated_at <= excluded.provider_updated_at or orders.payment_only)`),
    )
    .returning(['id', 'external_id', sql<boolean>`xmax = 0`.as('inserted')])
    .execute();
  // Lines of a freshly inserted order cannot exist yet: only updated ones need their old lines removed.
  for (const r of applied) if (!r.inserted) replaced.add(r.id);
  return new Map(applied.map((r) => [r.external_id, r.id]));
}

/**
 * Upserts orders with their lines in a few statements whatever their number: an order whose
 * `updatedAt` is older than the stored one is left alone (lines included).
 */
export async function writeOrders(trx: Trx, ctx: WriteContext, orders: readonly CanonicalOrder[]): Promise<string[]> {
  const list = newestBy(orders, (o) => o.externalId, (o) => o.updatedAt);
  if (list.length === 0) return [];
  const customers = await writeCustomers(trx, ctx, list.flatMap((o) => (o.customer ? [o.customer] : [])));
  const stores = ctx.storeId ? new Map<string, string>() : await resolveStores(trx, ctx.tenantId, list.flatMap((o) => (o.storeExternalId ? [o.storeExternalId] : [])));
  // A bulk writer rebuilds rollups and first-order times over its whole range at its end: what the
  // orders were before matters only to the per-write refresh.
  const existing = ctx.bulk ? [] : await trx.selectFrom('orders').select(['id', 'customer_id']).where(sourceIs(ctx.sourceId)).where('external_id', 'in', list.map((o) => o.externalId)).execute();
  const before = await touchesOfOrders(trx, existing.map((o) => o.id));
  const full = list.filter((o) => !o.paymentOnly);
  const replaced = new Set<string>();
  const fullIds = await upsertOrders(trx, ctx, full, false, customers, stores, replaced);
  const paymentIds = await upsertOrders(trx, ctx, list.filter((o) => o.paymentOnly), true, customers, stores, new Set());
  // Lines belong to full orders only: a payment never replaces the items of an order.
  if (fullIds.size > 0) await writeLines(trx, ctx, full.filter((o) => fullIds.has(o.externalId)), fullIds, replaced);
  const ids = [...fullIds.values(), ...paymentIds.values()];
  if (ids.length === 0) return [];
  await attachRefunds(trx, ctx, ids);
  await settleRefunds(trx, ids);
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

async function writeLines(trx: Trx, ctx: WriteContext, orders: readonly CanonicalOrder[], orderIds: Map<string, string>, replaced: ReadonlySet<string>): Promise<void> {
  if (replaced.size > 0) await trx.deleteFrom('order_lines').where('order_id', 'in', [...replaced]).execute();
  const productRefs = [...new Set(orders.flatMap((o) => o.lines.flatMap((l) => (l.productExternalId ? [l.productExternalId] : []))))];
  const products =
    productRefs.length === 0
      ? new Map<string, string>()
      : new Map((await trx.selectFrom('products').select(['id', 'external_id']).where(sourceIs(ctx.sourceId)).where('external_id', 'in', productRefs).execute()).map((p) => [p.external_id, p.id]));
  const rows = orders.flatMap((o) =>
    o.lines.map((l, i) => ({
      tenant_id: ctx.tenantId,
      order_id: orderIds.get(o.externalId) as string,
      position: i,
      external_id: l.externalId,
      product_id: l.productExternalId ? (products.get(l.productExternalId) ?? null) : null,
      sku: l.sku,
      title: l.title,
      quantity: l.quantity,
      unit_price: l.unitPrice,
      total: l.total,
    })),
  );
  // Postgres takes at most 65,535 parameters per statement; 11 per line.
  for (let i = 0; i < rows.length; i += 5000) await trx.insertInto('order_lines').values(rows.slice(i, i + 5000)).execute();
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
 * impossible) and moves a paid or fulfilled order to partially_refunded or refunded.
 */
async function settleRefunds(trx: Trx, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  // Only orders whose refunded total or status actually moves are written: an import of paid
  // orders without refunds rewrites nothing here.
  await sql`update orders o set refunded_total = s.refunded, status = s.status, updated_at = now()
      from (
        select o2.id, r.refunded,
          case
            when o2.status in ('paid', 'fulfilled', 'partially_refunded', 'refunded') and r.refunded > 0 and r.refunded >= o2.total then 'refunded'
            when o2.status in ('paid', 'fulfilled', 'partially_refunded') and r.refunded > 0 then 'partially_refunded'
            else o2.status end as status
        from orders o2
        cross join lateral (select coalesce(sum(amount), 0) as refunded from refunds where order_id = o2.id) r
        where o2.id = any(${[...orderIds]}::uuid[])
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
