/**
 * Signs webhook bodies the way each provider does, returning the headers to send (lowercase, as Node sees them).
 * Shared by the verifier unit tests and the ingestion integration tests.
 */
import { createHmac, randomUUID } from 'node:crypto';

/** Base64 HMAC-SHA256 of the raw body (Shopify, WooCommerce). */
export function base64Hmac(body: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

/** Hex HMAC-SHA256 of `${t}.${body}` keyed with the whole secret string (Stripe, custom). */
export function timestampedHmac(body: Buffer | string, secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** Unix seconds for a Date (default: now). */
export function unixSeconds(at: Date = new Date()): number {
  return Math.floor(at.getTime() / 1000);
}

/** What to put in Shopify headers; random ids when omitted. */
export interface ShopifyOptions {
  topic?: string;
  eventId?: string;
  shopDomain?: string;
  /** `classic` sends `x-shopify-*`, `event` sends the newer bare `shopify-*` set. */
  family?: 'classic' | 'event';
}

/** Headers of a signed Shopify delivery. */
export function shopifyHeaders(body: Buffer | string, secret: string, options: ShopifyOptions = {}): Record<string, string> {
  const prefix = options.family === 'event' ? 'shopify-' : 'x-shopify-';
  return {
    'content-type': 'application/json',
    [`${prefix}hmac-sha256`]: base64Hmac(body, secret),
    [`${prefix}topic`]: options.topic ?? 'orders/create',
    [`${prefix}shop-domain`]: options.shopDomain ?? 'example.myshopify.com',
    [`${prefix}event-id`]: options.eventId ?? randomUUID(),
    [`${prefix}webhook-id`]: randomUUID(),
    [`${prefix}triggered-at`]: new Date().toISOString(),
    [`${prefix}api-version`]: '2025-07',
  };
}

/** What to put in WooCommerce headers. */
export interface WoocommerceOptions {
  topic?: string;
  webhookId?: string;
  source?: string;
}

/** Headers of a signed WooCommerce delivery. */
export function woocommerceHeaders(body: Buffer | string, secret: string, options: WoocommerceOptions = {}): Record<string, string> {
  const topic = options.topic ?? 'order.created';
  const [resource = 'order', event = 'created'] = topic.split('.');
  return {
    'content-type': 'application/json',
    'x-wc-webhook-signature': base64Hmac(body, secret),
    'x-wc-webhook-topic': topic,
    'x-wc-webhook-resource': resource,
    'x-wc-webhook-event': event,
    'x-wc-webhook-id': options.webhookId ?? '7',
    'x-wc-webhook-delivery-id': String(Math.floor(Math.random() * 1e6)),
    'x-wc-webhook-source': options.source ?? 'https://shop.example.com/',
  };
}

/** WooCommerce's unsigned creation ping: its body and headers. */
export function woocommercePing(webhookId = '7'): { body: Buffer; headers: Record<string, string> } {
  return {
    body: Buffer.from(`webhook_id=${webhookId}`),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-wc-webhook-id': webhookId },
  };
}

/** Timestamp and extra secrets for the t/v1 schemes (Stripe, custom). */
export interface TimestampedOptions {
  /** Unix seconds; default now. */
  timestamp?: number;
  /** More secrets to add v1 values for (e.g. during rotation), after the first. */
  extraSecrets?: string[];
}

/** The `t=..,v1=..` header value for a body. */
export function timestampedSignature(body: Buffer | string, secret: string, options: TimestampedOptions = {}): string {
  const t = options.timestamp ?? unixSeconds();
  const v1 = [secret, ...(options.extraSecrets ?? [])].map((s) => `v1=${timestampedHmac(body, s, t)}`);
  return [`t=${t}`, ...v1].join(',');
}

/** Headers of a signed Stripe delivery (the secret is the full `whsec_...` string). */
export function stripeHeaders(body: Buffer | string, secret: string, options: TimestampedOptions = {}): Record<string, string> {
  return { 'content-type': 'application/json', 'stripe-signature': timestampedSignature(body, secret, options) };
}

/** Optional event id and topic headers for the custom scheme. */
export interface CustomOptions extends TimestampedOptions {
  eventId?: string;
  topic?: string;
}

/** Headers of a signed delivery in Tideline's own scheme; event id and topic headers only when given. */
export function customHeaders(body: Buffer | string, secret: string, options: CustomOptions = {}): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'tideline-signature': timestampedSignature(body, secret, options) };
  if (options.eventId !== undefined) headers['tideline-event-id'] = options.eventId;
  if (options.topic !== undefined) headers['tideline-topic'] = options.topic;
  return headers;
}
