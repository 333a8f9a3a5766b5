import { isUtf8 } from 'node:buffer';
import type { PgBoss } from 'pg-boss';
import type { Config } from '../platform/config.ts';
import type { FieldCipher } from '../platform/crypto/index.ts';
import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/log.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { RateLimiter, Stores } from '../platform/redis.ts';
import type { CertificateSource, Provider } from './providers/types.ts';
import type { SourceCache } from './source-cache.ts';
import type { SourceSettings } from './tables.ts';

/** What the ingestion services work with. */
export interface IngestionDeps {
  config: Config;
  db: Db;
  log: Logger;
  stores: Stores;
  cipher: FieldCipher;
  boss: PgBoss;
  metrics: Metrics;
  certificates: CertificateSource;
  /** Deliveries per source per minute: WooCommerce's own, generous limit, and everyone else's. */
  webhookLimiters: { woocommerce: RateLimiter; other: RateLimiter };
  /** Webhook sources by id, briefly (see source-cache.ts). */
  sourceCache: SourceCache<WebhookSource>;
}

/** What a webhook delivery needs of its source, read across tenants by the source's id, secrets decrypted. */
export interface WebhookSource {
  tenant_id: string;
  provider: Provider;
  status: 'active' | 'disabled';
  secret: string | null;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  settings: SourceSettings;
}

/** Where a source's secrets are bound: encrypted per tenant, table and column. */
export const secretCtx = (tenantId: string, column: 'secret' | 'previous_secret') => ({ tenantId, table: 'sources', column });

/** Where raw bodies are bound. */
export const bodyCtx = (tenantId: string) => ({ tenantId, table: 'raw_events', column: 'body' });

/** A raw body as stored text: UTF-8 when it is, base64 otherwise, so every body round-trips exactly. */
export function encodeBody(raw: Buffer): { text: string; encoding: 'utf8' | 'base64' } {
  return isUtf8(raw) ? { text: raw.toString('utf8'), encoding: 'utf8' } : { text: raw.toString('base64'), encoding: 'base64' };
}

/** The exact bytes of a stored body. */
export function decodeBody(text: string, encoding: 'utf8' | 'base64'): Buffer {
  return Buffer.from(text, encoding);
}
