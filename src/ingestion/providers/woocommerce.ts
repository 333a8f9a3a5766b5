import { base64HmacMatches, header, idString, keepHeaders, parseJsonObject, refuse, sha256Hex } from './signatures.ts';
import type { Delivery, ProviderAdapter, Verification, VerifyContext } from './types.ts';

const KEPT_NAMES = Object.fromEntries(
  ['topic', 'resource', 'event', 'id', 'delivery-id', 'source'].map((name) => [`x-wc-webhook-${name}`, [`x-wc-webhook-${name}`]]),
);

// The only unsigned thing WooCommerce sends: the form-encoded ping made when a webhook is created.
const PING_BODY = /^webhook_id=(\d{1,20})$/;

/** The ping's webhook id when an unsigned delivery is exactly WooCommerce's creation ping, else null. */
function pingWebhookId(delivery: Delivery): string | null {
  const contentType = header(delivery.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') return null;
  return PING_BODY.exec(delivery.rawBody.toString('latin1'))?.[1] ?? null;
}

/** Checks the base64 HMAC of the raw body (or recognizes the ping), then derives the event key. */
function verifyWoocommerce(delivery: Delivery, ctx: VerifyContext): Verification {
  const headers = keepHeaders(delivery.headers, KEPT_NAMES);
  const signature = header(delivery.headers, 'x-wc-webhook-signature');
  if (signature === undefined) {
    const webhookId = pingWebhookId(delivery);
    if (webhookId === null) return refuse('missing-signature', 'unsigned and not a creation ping');
    return { ok: true, kind: 'ping', eventKey: `ping:${webhookId}`, headers };
  }
  if (!base64HmacMatches(signature, delivery.rawBody, ctx.secrets)) return refuse('bad-signature', 'woocommerce signature does not match');
  const topic = header(delivery.headers, 'x-wc-webhook-topic');
  if (topic === undefined) return refuse('malformed', 'no topic header');
  const body = parseJsonObject(delivery.rawBody);
  if (body === null) return refuse('malformed', 'body is not a JSON object');
  const resourceId = idString(body.id);
  // No event id exists: the body hash separates real changes to one resource, while a retry repeats the same bytes.
  const eventKey = `${topic}:${resourceId ?? ''}:${sha256Hex(delivery.rawBody)}`;
  return { ok: true, kind: 'event', topic, eventKey, providerEventId: null, resourceId, headers };
}

/** WooCommerce: base64 HMAC-SHA256 of the raw body; key = topic + resource id + body hash; unsigned creation ping. */
export const woocommerceAdapter: ProviderAdapter = {
  provider: 'woocommerce',
  verify: (delivery, ctx) => Promise.resolve(verifyWoocommerce(delivery, ctx)),
};
