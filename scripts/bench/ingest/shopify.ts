/**
 * Signed Shopify deliveries for the load: one fixture body, signed once (Shopify's HMAC covers the
 * body only), and a fresh `x-shopify-event-id` per request so every delivery is a new raw event.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { shopifyHeaders } from '../../../tests/helpers/webhook-signing.ts';
import { apiJson, expectStatus } from '../lib/api.ts';
import type { LoadRequest } from '../lib/load.ts';

const FIXTURE = path.resolve(import.meta.dirname, '../../../tests/fixtures/shopify/orders-create.json');

/** The `orders/create` fixture, byte for byte. */
export function orderBody(): Buffer {
  return readFileSync(FIXTURE);
}

/** A Shopify source registered through the API, and the path its deliveries go to. */
export interface BenchSource {
  id: string;
  secret: string;
  /** Under the origin: `/api/v1/webhooks/shopify/<id>`. */
  path: string;
}

/** Registers a Shopify source with a random secret as the tenant's admin. */
export async function createShopifySource(api: string, token: string): Promise<BenchSource> {
  const secret = randomBytes(32).toString('hex');
  const body = expectStatus(await apiJson(api, 'POST', '/sources', { token, body: { provider: 'shopify', name: 'bench shop', secret } }), 201, 'create source');
  if (typeof body.id !== 'string') throw new Error('create source: answer has no id');
  return { id: body.id, secret, path: `/api/v1/webhooks/shopify/${body.id}` };
}

/** Headers of a signed delivery of `body` with this event id. */
export function deliveryHeaders(signed: Record<string, string>, eventId: string): Record<string, string> {
  return { ...signed, 'x-shopify-event-id': eventId, 'x-shopify-webhook-id': eventId };
}

/**
 * An autocannon request that sends `body` signed with `secret`, each time under the next event id
 * `<prefix>-<n>`. A counter rather than a pre-generated pool: a pool that wraps mid-run would turn
 * the tail of a long run into duplicates, which take another (cheaper) path through the server.
 */
export function deliveryRequest(path: string, body: Buffer, secret: string, prefix: string): LoadRequest {
  const signed = shopifyHeaders(body, secret, { topic: 'orders/create' });
  let n = 0;
  return {
    method: 'POST',
    path,
    headers: signed,
    body,
    setupRequest: (req) => ({ ...req, headers: deliveryHeaders(signed, `${prefix}-${n++}`) }),
  };
}
