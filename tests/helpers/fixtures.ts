/** Loads the provider webhook fixtures under tests/fixtures (see its README). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Provider } from '../../src/ingestion/providers/types.ts';
import { parsePayload } from '../../src/ingestion/normalize/index.ts';

const ROOT = path.join(import.meta.dirname, '..', 'fixtures');

/** Every topic that has a fixture, per provider: the topics the normalizers map. */
export const FIXTURE_TOPICS: Readonly<Record<Provider, readonly string[]>> = {
  shopify: ['orders/create', 'orders/updated', 'orders/paid', 'orders/cancelled', 'refunds/create', 'customers/create', 'customers/update', 'products/create', 'products/update'],
  woocommerce: ['order.created', 'order.updated', 'order.deleted', 'customer.created', 'product.created', 'product.updated'],
  stripe: ['payment_intent.succeeded', 'charge.succeeded', 'charge.refunded', 'refund.created', 'customer.created', 'checkout.session.completed'],
  paypal: ['CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.COMPLETED', 'PAYMENT.CAPTURE.REFUNDED'],
  custom: ['order.upsert', 'refund.upsert', 'customer.upsert', 'product.upsert'],
};

/** The fixture's file name for a topic: "/" and "." become "-" ("orders/create" is orders-create.json). */
export const fixtureFile = (provider: Provider, topic: string): string => path.join(ROOT, provider, `${topic.replace(/[/.]/g, '-')}.json`);

/** A fixture's exact bytes (for signing and storing) and its parsed body (for normalizing). */
export function loadFixture(provider: Provider, topic: string): { raw: Buffer; body: unknown } {
  const raw = readFileSync(fixtureFile(provider, topic));
  return { raw, body: parsePayload(raw) };
}
