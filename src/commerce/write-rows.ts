/**
 * The set-based row writers under writeOrders and applyChanges: one statement per table whatever
 * the number of rows, each column bound as one array (`unnest`), never a VALUES list.
 */
import { sql } from 'kysely';
import { unnestRows } from '../platform/column-arrays.ts';
import type { Trx } from '../platform/db.ts';
import { afterCommit } from '../platform/tenancy.ts';
import type { CanonicalCustomer, CanonicalOrder, CanonicalProduct } from './model.ts';
import { newestBy, sourceIs, type WriteContext } from './write-context.ts';
import './tables.ts';

const emailCtx = (tenantId: string) => ({ tenantId, table: 'customers', column: 'email' });
const nameCtx = (tenantId: string) => ({ tenantId, table: 'customers', column: 'name' });

/** Upserts customers (email and name encrypted, email blind-indexed); an older update never wins. Returns external id to row id. */
export async function writeCustomers(trx: Trx, ctx: WriteContext, customers: readonly CanonicalCustomer[]): Promise<Map<string, string>> {
  const list = newestBy(customers, (c) => c.externalId, (c) => c.updatedAt);
  if (list.length === 0) return new Map();
  const { names, select } = unnestRows(list, {
    tenant_id: ['uuid', () => ctx.tenantId],
    source_id: ['uuid', () => ctx.sourceId],
    external_id: ['text', (c) => c.externalId],
    email_ciphertext: ['text', (c) => (c.email === null ? null : ctx.cipher.encrypt(c.email, emailCtx(ctx.tenantId)))],
    email_index: ['text', (c) => (c.email === null ? null : ctx.cipher.blindIndex(c.email, 'email', emailCtx(ctx.tenantId)))],
    name_ciphertext: ['text', (c) => (c.name === null ? null : ctx.cipher.encrypt(c.name, nameCtx(ctx.tenantId)))],
    provider_created_at: ['timestamptz', (c) => c.createdAt],
    provider_updated_at: ['timestamptz', (c) => c.updatedAt],
  });
  const applied = await trx
    .insertInto('customers')
    .columns(names)
    .expression(select)
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
    .returning(['id', 'external_id'])
    .execute();
  const ids = new Map(applied.map((r) => [r.external_id, r.id]));
  // Customers left alone (the stored one is newer) are not returned: they are looked up.
  const missing = list.flatMap((c) => (ids.has(c.externalId) ? [] : [c.externalId]));
  if (missing.length > 0) {
    const rows = await trx.selectFrom('customers').select(['id', 'external_id']).where(sourceIs(ctx.sourceId)).where('external_id', '=', sql<string>`any(${missing}::text[])`).execute();
    for (const r of rows) ids.set(r.external_id, r.id);
  }
  return ids;
}

/** Upserts products; an older update never wins. */
export async function writeProducts(trx: Trx, ctx: WriteContext, products: readonly CanonicalProduct[]): Promise<void> {
  const list = newestBy(products, (p) => p.externalId, (p) => p.updatedAt);
  if (list.length === 0) return;
  const { names, select } = unnestRows(list, {
    tenant_id: ['uuid', () => ctx.tenantId],
    source_id: ['uuid', () => ctx.sourceId],
    external_id: ['text', (p) => p.externalId],
    title: ['text', (p) => p.title],
    sku: ['text', (p) => p.sku],
    price: ['numeric', (p) => p.price],
    currency: ['text', (p) => p.currency],
    status: ['text', (p) => p.status],
    provider_updated_at: ['timestamptz', (p) => p.updatedAt],
  });
  await trx
    .insertInto('products')
    .columns(names)
    .expression(select)
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

/**
 * Finds or creates the stores named by external id (created by ingestion); returns external id to
 * row id. With `known` (a writer's lookups), only stores not in it are asked for, and the ones
 * found are added to it once this transaction commits.
 */
export async function resolveStores(trx: Trx, tenantId: string, externalIds: readonly string[], via: 'import' | 'ingestion' = 'ingestion', known?: Map<string, string>): Promise<Map<string, string>> {
  const all = [...new Set(externalIds)];
  const ids = all.filter((e) => !known?.has(e));
  const found = new Map(all.flatMap((e) => (known?.has(e) ? [[e, known.get(e) as string] as const] : [])));
  if (ids.length === 0) return found;
  await trx
    .insertInto('stores')
    .values(ids.map((e) => ({ tenant_id: tenantId, external_id: e, name: e, created_via: via })))
    .onConflict((oc) => oc.columns(['tenant_id', 'external_id']).doNothing())
    .execute();
  const rows = await trx.selectFrom('stores').select(['id', 'external_id']).where('external_id', 'in', ids).execute();
  for (const r of rows) found.set(r.external_id, r.id);
  // A store created here exists for others only once this commits; a rollback must not leave its id behind.
  if (known) {
    afterCommit(trx, () => {
      for (const r of rows) known.set(r.external_id, r.id);
      return Promise.resolve();
    });
  }
  return found;
}

const units = (o: CanonicalOrder) => o.lines.reduce((n, l) => n + l.quantity, 0);

// The details a payment-only update leaves alone on an order that has them (it sets only the
// status, payment reference, customer and update time).
const DETAIL_FIELDS = ['currency', 'subtotal', 'discount_total', 'tax_total', 'shipping_total', 'total', 'units', 'placed_at', 'cancelled_at'] as const;

/** An order an upsert changed: whether it was new, and whether anything of it was refunded already. */
export interface UpsertedOrder {
  id: string;
  external_id: string;
  inserted: boolean;
  refunded: boolean;
}

/**
 * One upsert of full or payment-only orders; answers the rows it changed. An update older than
 * the stored order changes nothing, except that a full order always fills in a payment-only one
 * (keeping the payment's status when that is newer).
 */
export async function upsertOrders(trx: Trx, ctx: WriteContext, list: readonly CanonicalOrder[], paymentOnly: boolean, customers: Map<string, string>, stores: Map<string, string>): Promise<UpsertedOrder[]> {
  if (list.length === 0) return [];
  const detail = (col: string) => (paymentOnly ? sql`case when orders.payment_only then excluded.${sql.ref(col)} else orders.${sql.ref(col)} end` : sql`excluded.${sql.ref(col)}`);
  const set: Record<string, unknown> = Object.fromEntries(DETAIL_FIELDS.map((c) => [c, detail(c)]));
  const { names, select } = unnestRows(list, {
    tenant_id: ['uuid', () => ctx.tenantId],
    source_id: ['uuid', () => ctx.sourceId],
    external_id: ['text', (o) => o.externalId],
    order_number: ['text', (o) => o.orderNumber],
    payment_ref: ['text', (o) => o.paymentRef],
    store_id: ['uuid', (o) => ctx.storeId ?? (o.storeExternalId ? (stores.get(o.storeExternalId) ?? null) : null)],
    customer_id: ['uuid', (o) => (o.customer ? (customers.get(o.customer.externalId) ?? null) : null)],
    channel: ['text', (o) => o.channel],
    currency: ['text', (o) => o.currency],
    status: ['text', (o) => o.status],
    subtotal: ['numeric', (o) => o.subtotal],
    discount_total: ['numeric', (o) => o.discountTotal],
    tax_total: ['numeric', (o) => o.taxTotal],
    shipping_total: ['numeric', (o) => o.shippingTotal],
    total: ['numeric', (o) => o.total],
    units: ['integer', units],
    placed_at: ['timestamptz', (o) => o.placedAt],
    cancelled_at: ['timestamptz', (o) => o.cancelledAt],
    provider_updated_at: ['timestamptz', (o) => o.updatedAt],
    payment_only: ['boolean', () => paymentOnly],
  });
  return trx
    .insertInto('orders')
    .columns(names)
    .expression(select)
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
    .returning(['id', 'external_id', sql<boolean>`xmax = 0`.as('inserted'), sql<boolean>`refunded_total <> 0`.as('refunded')])
    .execute();
}

/** Replaces the lines of the given orders (old lines only of the `replaced` ones, which had some). */
export async function writeLines(trx: Trx, ctx: WriteContext, orders: readonly CanonicalOrder[], orderIds: Map<string, string>, replaced: ReadonlySet<string>): Promise<void> {
  if (replaced.size > 0) await trx.deleteFrom('order_lines').where('order_id', '=', sql<string>`any(${[...replaced]}::uuid[])`).execute();
  const productRefs = [...new Set(orders.flatMap((o) => o.lines.flatMap((l) => (l.productExternalId ? [l.productExternalId] : []))))];
  const products =
    productRefs.length === 0
      ? new Map<string, string>()
      : new Map((await trx.selectFrom('products').select(['id', 'external_id']).where(sourceIs(ctx.sourceId)).where('external_id', 'in', productRefs).execute()).map((p) => [p.external_id, p.id]));
  const lines = orders.flatMap((o) => o.lines.map((l, position) => ({ orderId: orderIds.get(o.externalId) as string, position, l })));
  if (lines.length === 0) return;
  const { names, select } = unnestRows(lines, {
    tenant_id: ['uuid', () => ctx.tenantId],
    order_id: ['uuid', (x) => x.orderId],
    position: ['integer', (x) => x.position],
    external_id: ['text', (x) => x.l.externalId],
    product_id: ['uuid', (x) => (x.l.productExternalId ? (products.get(x.l.productExternalId) ?? null) : null)],
    sku: ['text', (x) => x.l.sku],
    title: ['text', (x) => x.l.title],
    quantity: ['integer', (x) => x.l.quantity],
    unit_price: ['numeric', (x) => x.l.unitPrice],
    total: ['numeric', (x) => x.l.total],
  });
  await trx.insertInto('order_lines').columns(names).expression(select).execute();
}
