import type { Principal } from '../platform/http/auth.ts';
import { routes } from '../platform/http/handler.ts';
import { unauthorized } from '../platform/errors.ts';
import { withTenant } from '../platform/tenancy.ts';
import { cached, notModified } from './cache.ts';
import type { CommerceDeps } from './context.ts';
import { computeKpis } from './kpis.ts';
import { salesSeries } from './series.ts';
import * as reads from './service-reads.ts';
import * as stores from './service-stores.ts';

/** The tenant of the authenticated caller; the authorization middleware guarantees one on secured operations. */
function tenant(p: Principal | null): string {
  if (!p) throw unauthorized();
  return p.tenantId;
}

const REVALIDATE = { 'Cache-Control': 'private, no-cache' };

/** Stores, orders, customers, products, KPIs and sales series. */
export function commerceRoutes(d: CommerceDeps) {
  return routes({
    listStores: async (ctx) => ({ status: 200, body: await stores.listStores(d, tenant(ctx.principal), ctx.query) }),
    createStore: async (ctx) => {
      const body = await stores.createStore(d, tenant(ctx.principal), ctx.body);
      return { status: 201, body, headers: { Location: `/api/v1/stores/${body.id}` } };
    },
    getStore: async (ctx) => ({ status: 200, body: await stores.getStore(d, tenant(ctx.principal), ctx.params.storeId) }),
    updateStore: async (ctx) => ({ status: 200, body: await stores.updateStore(d, tenant(ctx.principal), ctx.params.storeId, ctx.body) }),
    archiveStore: async (ctx) => {
      await stores.archiveStore(d, tenant(ctx.principal), ctx.params.storeId);
      return { status: 204 };
    },
    listOrders: async (ctx) => ({ status: 200, body: await reads.listOrders(d, tenant(ctx.principal), ctx.query) }),
    getOrder: async (ctx) => ({ status: 200, body: await reads.getOrder(d, tenant(ctx.principal), ctx.params.orderId) }),
    listCustomers: async (ctx) => ({ status: 200, body: await reads.listCustomers(d, tenant(ctx.principal), ctx.query, ctx.pii) }),
    getCustomer: async (ctx) => ({ status: 200, body: await reads.getCustomer(d, tenant(ctx.principal), ctx.params.customerId, ctx.pii) }),
    listProducts: async (ctx) => ({ status: 200, body: await reads.listProducts(d, tenant(ctx.principal), ctx.query) }),
    getKpis: async (ctx) => {
      const t = tenant(ctx.principal);
      const q = { from: ctx.query.from, to: ctx.query.to, storeId: ctx.query.store_id ?? null, channel: ctx.query.channel ?? null, groupBy: ctx.query.group_by ?? null };
      const span = Date.parse(q.to) - Date.parse(q.from);
      const answer = await cached(d.stores, t, ['kpis', q], [[Date.parse(q.from) - span, Date.parse(q.to)]], () => withTenant(d.db, t, (trx) => computeKpis(trx, q)));
      if (notModified(ctx.headers['if-none-match'], answer.etag)) return { status: 304, headers: { ETag: answer.etag, ...REVALIDATE } };
      return { status: 200, body: answer.body, headers: { ETag: answer.etag, ...REVALIDATE } };
    },
    getSalesTimeseries: async (ctx) => {
      const t = tenant(ctx.principal);
      const q = { storeId: ctx.query.store_id ?? null, metric: ctx.query.metric, bucket: ctx.query.bucket, from: ctx.query.from, to: ctx.query.to };
      const answer = await cached(d.stores, t, ['series', q], [[Date.parse(q.from) - 31 * 86_400_000, Date.parse(q.to) + 31 * 86_400_000]], async () => {
        const s = await withTenant(d.db, t, (trx) => salesSeries(trx, q));
        // `at` is for callers in the process; the API shows the local start only.
        return { ...s, series: s.series.map((x) => ({ currency: x.currency, points: x.points.map(({ start, value, filled }) => ({ start, value, filled })) })) };
      });
      if (notModified(ctx.headers['if-none-match'], answer.etag)) return { status: 304, headers: { ETag: answer.etag, ...REVALIDATE } };
      return { status: 200, body: answer.body, headers: { ETag: answer.etag, ...REVALIDATE } };
    },
  });
}
