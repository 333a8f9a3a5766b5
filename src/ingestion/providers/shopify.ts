import { base64HmacMatches, header, idString, keepHeaders, parseJsonObject, refuse } from './signatures.ts';
import type { Delivery, ProviderAdapter, Verification, VerifyContext } from './types.ts';

// Shopify sends either the classic `x-shopify-*` headers or, for event delivery, the bare `shopify-*` set.
const FAMILIES = ['x-shopify-', 'shopify-'] as const;
const KEPT = ['topic', 'shop-domain', 'event-id', 'webhook-id', 'triggered-at', 'api-version'] as const;
const KEPT_NAMES = Object.fromEntries(KEPT.map((name) => [`shopify-${name}`, FAMILIES.map((prefix) => prefix + name)]));

/** The first value of `name` in either header family. */
function shopifyHeader(delivery: Delivery, name: string): string | undefined {
  return FAMILIES.map((prefix) => header(delivery.headers, prefix + name)).find((v) => v !== undefined);
}

/** Checks the base64 HMAC of the raw body, then reads topic and ids. */
function verifyShopify(delivery: Delivery, ctx: VerifyContext): Verification {
  const signature = shopifyHeader(delivery, 'hmac-sha256');
  if (signature === undefined) return refuse('missing-signature', 'no shopify hmac header');
  if (!base64HmacMatches(signature, delivery.rawBody, ctx.secrets)) return refuse('bad-signature', 'shopify hmac does not match');
  const topic = shopifyHeader(delivery, 'topic');
  // Older deliveries carry only the webhook id, which is still stable across retries.
  const eventId = shopifyHeader(delivery, 'event-id') ?? shopifyHeader(delivery, 'webhook-id');
  if (topic === undefined || eventId === undefined) return refuse('malformed', 'no topic or event id header');
  const body = parseJsonObject(delivery.rawBody);
  if (body === null) return refuse('malformed', 'body is not a JSON object');
  return {
    ok: true,
    kind: 'event',
    topic,
    eventKey: eventId,
    providerEventId: eventId,
    resourceId: idString(body.id),
    headers: keepHeaders(delivery.headers, KEPT_NAMES),
  };
}

/** Shopify: base64 HMAC-SHA256 of the raw body; identity from the event (or webhook) id header. */
export const shopifyAdapter: ProviderAdapter = {
  provider: 'shopify',
  verify: (delivery, ctx) => Promise.resolve(verifyShopify(delivery, ctx)),
};
