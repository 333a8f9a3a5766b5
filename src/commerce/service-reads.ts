import type { OrderStatus } from './model.ts';
import { notFound } from '../platform/errors.ts';
import { checkInstants } from '../platform/time-range.ts';
import { decodeCursor, newestFirst, page } from '../platform/pagination.ts';
import { withTenant } from '../platform/tenancy.ts';
import { customerCtx, type CommerceDeps } from './context.ts';
import { toCustomer, toOrder, toProduct } from './mappers.ts';
import { money } from './money.ts';
import './tables.ts';

/** A page of orders, newest placed first. */
export async function listOrders(d: CommerceDeps, tenantId: string, f: { limit?: number; cursor?: string; store_id?: string; status?: OrderStatus; customer_id?: string; currency?: string; from?: string; to?: string }) {
  checkInstants({ from: f.from, to: f.to }, 'query', ['from', 'to']);
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => {
    let q = trx.selectFrom('orders').selectAll().$call(newestFirst(after, limit, 'placed_at', 'id'));
    if (f.store_id) q = q.where('store_id', '=', f.store_id);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.customer_id) q = q.where('customer_id', '=', f.customer_id);
    if (f.currency) q = q.where('currency', '=', f.currency);
    if (f.from) q = q.where('placed_at', '>=', new Date(f.from));
    if (f.to) q = q.where('placed_at', '<', new Date(f.to));
    return q.execute();
  });
  const { items, next } = page(rows, limit, (r) => [r.placed_at, r.id]);
  return { data: items.map(toOrder), next_cursor: next };
}

/** One order with its lines and refunds. */
export async function getOrder(d: CommerceDeps, tenantId: string, id: string) {
  return withTenant(d.db, tenantId, async (trx) => {
    const o = await trx.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
    if (!o) throw notFound('order');
    const lines = await trx.selectFrom('order_lines').selectAll().where('order_id', '=', id).orderBy('position').execute();
    const refunds = await trx.selectFrom('refunds').selectAll().where('order_id', '=', id).orderBy('refunded_at').execute();
    return {
      order: toOrder(o),
      lines: lines.map((l) => ({
        position: l.position, external_id: l.external_id, product_id: l.product_id, sku: l.sku, title: l.title, quantity: l.quantity,
        unit_price: money(l.unit_price, o.currency), total: money(l.total, o.currency),
      })),
      refunds: refunds.map((r) => ({ id: r.id, external_id: r.external_id, amount: money(r.amount, r.currency), currency: r.currency, reason: r.reason, refunded_at: r.refunded_at.toISOString() })),
    };
  });
}

/** A page of customers, newest first; an email filter goes through the blind index, never a decrypting scan. */
export async function listCustomers(d: CommerceDeps, tenantId: string, f: { limit?: number; cursor?: string; email?: string }, pii: boolean) {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => {
    let q = trx.selectFrom('customers').selectAll().$call(newestFirst(after, limit, 'created_at', 'id'));
    if (f.email) q = q.where('email_index', '=', d.cipher.blindIndex(f.email, 'email', customerCtx(tenantId, 'email')));
    return q.execute();
  });
  const { items, next } = page(rows, limit, (r) => [r.created_at, r.id]);
  return { data: items.map((r) => toCustomer(d.cipher, tenantId, r, pii)), next_cursor: next };
}

/** One customer, masked unless the caller may see personal data. */
export async function getCustomer(d: CommerceDeps, tenantId: string, id: string, pii: boolean) {
  const r = await withTenant(d.db, tenantId, (trx) => trx.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst());
  if (!r) throw notFound('customer');
  return toCustomer(d.cipher, tenantId, r, pii);
}

/** A page of products, newest first. */
export async function listProducts(d: CommerceDeps, tenantId: string, f: { limit?: number; cursor?: string; sku?: string }) {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => {
    let q = trx.selectFrom('products').selectAll().$call(newestFirst(after, limit, 'created_at', 'id'));
    if (f.sku) q = q.where('sku', '=', f.sku);
    return q.execute();
  });
  const { items, next } = page(rows, limit, (r) => [r.created_at, r.id]);
  return { data: items.map(toProduct), next_cursor: next };
}
