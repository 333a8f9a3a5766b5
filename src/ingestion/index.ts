import type { Domain } from '../platform/domain.ts';
import type { Platform } from '../platform/runtime.ts';
import type { IngestionDeps } from './context.ts';
import { ingestionQueues } from './jobs.ts';
import { createPaypalCertificateSource } from './providers/index.ts';
import { ingestionRoutes } from './routes.ts';
import { createSourceCache } from './source-cache.ts';
import { leasedLimiter } from '../platform/leased-limiter.ts';
import type { Stores } from '../platform/redis.ts';

const cache = new WeakMap<Platform, IngestionDeps>();

// A flood makes one shared-store call per lease of a hundredth of the limit (see leased-limiter.ts):
// at most that many deliveries a minute are refused early, and never more than the limit accepted.
function webhookLimiter(stores: Stores, name: string, perMinute: number) {
  const limiter = stores.limiter(name, perMinute, 60);
  return stores.shared ? leasedLimiter(limiter, Math.max(1, Math.floor(perMinute / 100))) : limiter;
}

/** The ingestion services of a platform, built once per platform. */
export function ingestionDeps(p: Platform): IngestionDeps {
  let d = cache.get(p);
  if (!d) {
    const cfg = p.config.ingestion;
    const certificates = createPaypalCertificateSource({
      allowedOrigins: cfg.paypalCertOrigins,
      trustedCaPems: cfg.paypalCaPem ? (cfg.paypalCaPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) : null,
      subjectPattern: new RegExp(cfg.paypalCertSubject, 'i'),
    });
    d = {
      config: p.config,
      db: p.db,
      log: p.log,
      stores: p.stores,
      cipher: p.cipher,
      boss: p.boss,
      metrics: p.metrics,
      certificates,
      sourceCache: createSourceCache(cfg.webhookSourceCacheSeconds),
      webhookLimiters: {
        woocommerce: webhookLimiter(p.stores, 'webhook-woo', cfg.wooWebhooksPerSourcePerMinute),
        other: webhookLimiter(p.stores, 'webhook', cfg.webhooksPerSourcePerMinute),
      },
    };
    cache.set(p, d);
  }
  return d;
}

/** Sources and verified webhooks, the raw event store, dead letters and replay, batch events, imports. */
export const ingestionDomain: Domain = {
  name: 'ingestion',
  routes: (p) => ingestionRoutes(ingestionDeps(p)),
  queues: ingestionQueues,
  encrypted: [
    { table: 'sources', column: 'secret_ciphertext', aadColumn: 'secret', idColumn: 'id', tenantColumn: 'tenant_id' },
    { table: 'sources', column: 'previous_secret_ciphertext', aadColumn: 'previous_secret', idColumn: 'id', tenantColumn: 'tenant_id' },
    { table: 'raw_events', column: 'body_ciphertext', aadColumn: 'body', idColumn: 'id', tenantColumn: 'tenant_id' },
  ],
};
