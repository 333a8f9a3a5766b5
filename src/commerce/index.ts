import type { Domain } from '../platform/domain.ts';

/** Stores, canonical orders, refunds, customers and products; what ingestion writes and analytics read. */
export const commerceDomain: Domain = {
  name: 'commerce',
  routes: () => ({}),
  queues: [],
};

export type { CanonicalCustomer, CanonicalOrder, CanonicalOrderLine, CanonicalProduct, CanonicalRefund, CommerceChange, OrderStatus } from './model.ts';
export { applyChanges, resolveStores, writeOrders, type WriteContext, type WriteResult } from './write.ts';
