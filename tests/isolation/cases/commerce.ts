import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expectStatus, obj, str, type IsolationContext, type IsolationRegistry } from '../../helpers/isolation.ts';

// Writes recompute A's rollups in the same transaction; nothing of A's moves in the background.
const RANGE = { from: '2026-03-01T00:00:00Z', to: '2026-03-08T00:00:00Z' };

/** A store of A's; answers its id. */
async function storeOfA(ctx: IsolationContext): Promise<string> {
  const res = await ctx.a.api('post', '/stores', { body: { external_id: `a-${randomUUID()}`, name: 'Store of A', timezone: 'Europe/Berlin' } });
  expectStatus(res, 201, 'A creates a store');
  return str(res.body, 'id');
}

/** An order of A's (with a customer) in a store of A's, sent through the batch API; answers the ids. */
async function orderOfA(ctx: IsolationContext): Promise<{ orderId: string; customerId: string; storeId: string }> {
  const ext = `a-${randomUUID()}`;
  const res = await ctx.a.api('post', '/events', {
    body: { events: [{ type: 'order', external_id: ext, store_external_id: ext, currency: 'EUR', status: 'paid', total: '42.00', placed_at: '2026-03-02T10:00:00.000Z', customer: { external_id: ext, email: 'a-customer@example.com', name: 'Customer of A' } }] },
  });
  expectStatus(res, 200, 'A sends an order');
  const r = await sql<{ id: string; customer_id: string; store_id: string }>`select id, customer_id, store_id from orders where tenant_id = ${ctx.a.id} and external_id = ${ext}`.execute(ctx.h.owner);
  const row = r.rows[0];
  assert.ok(row);
  return { orderId: row.id, customerId: row.customer_id, storeId: row.store_id };
}

/** The tenants holding a row with this id, read as the owner past RLS. */
async function tenantsOf(ctx: IsolationContext, table: string, id: string): Promise<string[]> {
  const r = await sql<{ tenant_id: string }>`select tenant_id from ${sql.table(table)} where id = ${id}`.execute(ctx.h.owner);
  return r.rows.map((x) => x.tenant_id);
}

/** commerce: stores, orders, customers, products, KPIs and series. */
export const commerceIsolation: IsolationRegistry = {
  createStore: {
    expect: 'own-tenant-only',
    setup: () => Promise.resolve({ body: { external_id: `b-${randomUUID()}`, name: 'Store of B' } }),
    verifyInvisible: async (ctx, id) => {
      expectStatus(await ctx.a.api('get', `/stores/${id}`), 404, 'A reads B\'s store');
      assert.deepEqual(await tenantsOf(ctx, 'stores', id), [ctx.b.id]);
    },
  },
  listStores: { expect: 'empty-page', setup: async (ctx) => ({ query: { limit: '200' }, foreignIds: [await storeOfA(ctx)] }) },
  getStore: { expect: 'not-found', setup: async (ctx) => ({ params: { storeId: await storeOfA(ctx) } }) },
  updateStore: {
    expect: 'not-found',
    setup: async (ctx) => ({ params: { storeId: await storeOfA(ctx) }, body: { name: 'Renamed by B', timezone: 'Asia/Tokyo' } }),
    verifyUnchanged: async (ctx, s) => {
      const res = await ctx.a.api('get', `/stores/${s.params?.storeId ?? ''}`);
      assert.deepEqual([obj(res.body).name, obj(res.body).timezone], ['Store of A', 'Europe/Berlin']);
    },
  },
  archiveStore: {
    expect: 'not-found',
    setup: async (ctx) => ({ params: { storeId: await storeOfA(ctx) } }),
    verifyUnchanged: async (ctx, s) => {
      const res = await ctx.a.api('get', `/stores/${s.params?.storeId ?? ''}`);
      assert.equal(obj(res.body).archived_at, null);
    },
  },
  listOrders: { expect: 'empty-page', setup: async (ctx) => ({ query: { limit: '200' }, foreignIds: [(await orderOfA(ctx)).orderId] }) },
  getOrder: { expect: 'not-found', setup: async (ctx) => ({ params: { orderId: (await orderOfA(ctx)).orderId } }) },
  listCustomers: { expect: 'empty-page', setup: async (ctx) => ({ query: { limit: '200' }, foreignIds: [(await orderOfA(ctx)).customerId] }) },
  getCustomer: { expect: 'not-found', setup: async (ctx) => ({ params: { customerId: (await orderOfA(ctx)).customerId } }) },
  listProducts: {
    expect: 'empty-page',
    setup: async (ctx) => {
      const ext = `p-${randomUUID()}`;
      await sql`insert into products (tenant_id, external_id, title, provider_updated_at) values (${ctx.a.id}, ${ext}, 'Product of A', now())`.execute(ctx.h.owner);
      const r = await sql<{ id: string }>`select id from products where tenant_id = ${ctx.a.id} and external_id = ${ext}`.execute(ctx.h.owner);
      return { query: { limit: '200' }, foreignIds: [r.rows[0]?.id ?? ''] };
    },
  },
  getKpis: {
    expect: 'not-found',
    setup: async (ctx) => ({ query: { ...RANGE, store_id: (await orderOfA(ctx)).storeId } }),
    verifyUnchanged: async (ctx) => {
      // Without a store, B's KPIs are B's alone: none of A's 42.00.
      const res = await ctx.b.api('get', '/kpis', { query: RANGE });
      expectStatus(res, 200, 'B reads its own KPIs');
      assert.deepEqual(obj(res.body).groups, []);
    },
  },
  getSalesTimeseries: {
    expect: 'not-found',
    setup: async (ctx) => ({ query: { ...RANGE, metric: 'gross_revenue', bucket: 'day', store_id: (await orderOfA(ctx)).storeId } }),
    verifyUnchanged: async (ctx) => {
      const res = await ctx.b.api('get', '/sales/timeseries', { query: { ...RANGE, metric: 'gross_revenue', bucket: 'day' } });
      expectStatus(res, 200, 'B reads its own series');
      const series = obj(res.body).series as { points: { value: number }[] }[];
      assert.ok(series.every((s) => s.points.every((p) => p.value === 0)), 'B\'s series holds none of A\'s sales');
    },
  },
};
