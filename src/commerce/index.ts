import type { Stores } from '../platform/redis.ts';
import { invalidate } from './cache.ts';
export { invalidateAll as invalidateTenantAnswers, monthTouches } from './cache.ts';
import type { Touch } from './rollups.ts';
import type { Domain } from '../platform/domain.ts';
import { commerceRoutes } from './routes.ts';

/** Stores, canonical orders, refunds, customers and products; what ingestion writes and analytics read. */
export const commerceDomain: Domain = {
  name: 'commerce',
  routes: (p) => commerceRoutes({ config: p.config, db: p.db, log: p.log, stores: p.stores, cipher: p.cipher }),
  queues: [],
  encrypted: [
    { table: 'customers', column: 'email_ciphertext', aadColumn: 'email', idColumn: 'id', tenantColumn: 'tenant_id' },
    { table: 'customers', column: 'name_ciphertext', aadColumn: 'name', idColumn: 'id', tenantColumn: 'tenant_id' },
  ],
};

export { salesSeries, type SeriesQuery, type SeriesResult, type SeriesMetric, type Bucket } from './series.ts';
export { ALL_STORES, COUNTED_STATUSES, NO_STORE, rebuildRollups, type RebuildWindow } from './rollups.ts';

export type { CanonicalCustomer, CanonicalOrder, CanonicalOrderLine, CanonicalProduct, CanonicalRefund, CommerceChange, OrderStatus } from './model.ts';
export { applyChanges, resolveStores, settleFirstOrders, writeOrders, writeRefunds, type WriteContext } from './write.ts';
export type { Touch } from './rollups.ts';

/** The cache invalidation a write context carries: the months its touches fall in are recomputed. */
export function cacheInvalidator(stores: Stores, tenantId: string): (touches: readonly Touch[]) => Promise<void> {
  return (touches) => invalidate(stores, tenantId, touches);
}
