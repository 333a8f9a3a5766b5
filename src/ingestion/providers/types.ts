import type { IncomingHttpHeaders } from 'node:http';

/** The providers a source can be registered for. */
export const PROVIDERS = ['shopify', 'woocommerce', 'stripe', 'paypal', 'custom'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** One delivery as it arrived: the exact bytes, never re-serialized. */
export interface Delivery {
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
}

/** Fetches and checks a PayPal signing certificate; returns its public key as PEM. */
export interface CertificateSource {
  publicKeyFor(certUrl: string, now: Date): Promise<string>;
}

/** What a verifier may use: the source's valid secrets (newest first), its settings, and the clock. */
export interface VerifyContext {
  /** Every secret currently valid for the source (the current one and, during rotation, the previous one). */
  secrets: readonly string[];
  /** Provider extras (PayPal: `webhookId`). */
  settings: Readonly<Record<string, string>>;
  now: Date;
  stripeToleranceSeconds: number;
  certificates: CertificateSource;
}

/** Why a delivery was refused; logged and counted, never shown in detail to the sender. */
export type RefusalReason = 'missing-signature' | 'bad-signature' | 'stale-timestamp' | 'certificate' | 'malformed';

/** A verified delivery: what it is, and the key that makes it idempotent. */
export interface VerifiedEvent {
  ok: true;
  kind: 'event';
  topic: string;
  /** Unique per source: the provider's event id, or (WooCommerce) topic + resource id + body hash. */
  eventKey: string;
  providerEventId: string | null;
  resourceId: string | null;
  /** The headers worth keeping with the raw event (topic, ids, shop domain, ...); never signatures. */
  headers: Record<string, string>;
}

/** WooCommerce's unsigned creation ping: acknowledged and recorded, nothing else. */
export interface Ping {
  ok: true;
  kind: 'ping';
  eventKey: string;
  headers: Record<string, string>;
}

export interface Refusal {
  ok: false;
  reason: RefusalReason;
  /** For the log only. */
  detail: string;
}

export type Verification = VerifiedEvent | Ping | Refusal;

/** One provider's signature scheme and event identity. */
export interface ProviderAdapter {
  provider: Provider;
  verify(delivery: Delivery, ctx: VerifyContext): Promise<Verification>;
}
