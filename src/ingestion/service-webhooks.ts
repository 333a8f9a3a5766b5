import type { IncomingHttpHeaders } from 'node:http';
import { sql } from 'kysely';
import { AppError, notFound, tooManyRequests } from '../platform/errors.ts';
import { enqueue } from '../platform/jobs.ts';
import { withTenant } from '../platform/tenancy.ts';
import { bodyCtx, encodeBody, secretCtx, type IngestionDeps } from './context.ts';
import { normalizeQueue } from './jobs.ts';
import { adapterFor } from './providers/index.ts';
import type { Provider, RefusalReason } from './providers/types.ts';
import type { SourceSettings } from './tables.ts';
import './tables.ts';

interface WebhookSource {
  tenant_id: string;
  provider: Provider;
  status: 'active' | 'disabled';
  secret_ciphertext: string | null;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Date | null;
  settings: SourceSettings;
}

/** What the provider is told. */
export interface WebhookReceipt {
  status: 'accepted' | 'duplicate' | 'ping';
  raw_event_id: string;
}

// A webhook names its source, not its tenant: the one owner-defined lookup that reads across tenants.
async function findSource(d: IngestionDeps, id: string): Promise<WebhookSource | undefined> {
  const r = await sql<WebhookSource>`select * from ingestion_webhook_source(${id}::uuid)`.execute(d.db);
  return r.rows[0];
}

function parses(raw: Buffer): boolean {
  try {
    JSON.parse(raw.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function secretsOf(d: IngestionDeps, s: WebhookSource, now: Date): string[] {
  const out: string[] = [];
  if (s.secret_ciphertext) out.push(d.cipher.decrypt(s.secret_ciphertext, secretCtx(s.tenant_id, 'secret')));
  if (s.previous_secret_ciphertext && s.previous_secret_expires_at && s.previous_secret_expires_at > now) {
    out.push(d.cipher.decrypt(s.previous_secret_ciphertext, secretCtx(s.tenant_id, 'previous_secret')));
  }
  return out;
}

function refuse(d: IngestionDeps, provider: Provider, sourceId: string, reason: RefusalReason | 'disabled', detail: string): AppError {
  d.metrics.webhookRefusals.inc({ provider, reason });
  d.metrics.webhookDeliveries.inc({ provider, outcome: 'refused' });
  d.log.warn({ provider, sourceId, reason, detail }, 'webhook refused');
  return new AppError(401, 'unauthorized', reason === 'disabled' ? 'The source is disabled.' : 'The webhook signature does not verify.');
}

/** Limits deliveries per source: Shopify, Stripe and PayPal retry later; WooCommerce never does, so its limit is generous and every refusal is logged. */
async function limit(d: IngestionDeps, provider: Provider, sourceId: string): Promise<void> {
  const cfg = d.config.ingestion;
  const woo = provider === 'woocommerce';
  const limiter = d.stores.limiter(woo ? 'webhook-woo' : 'webhook', woo ? cfg.wooWebhooksPerSourcePerMinute : cfg.webhooksPerSourcePerMinute, 60);
  const decision = await limiter.consume(sourceId);
  if (decision.allowed) return;
  d.metrics.webhookDeliveries.inc({ provider, outcome: 'rate_limited' });
  d.log.warn({ provider, sourceId, retryAfter: decision.resetSeconds }, woo ? 'webhook rate limited; WooCommerce will not retry this delivery' : 'webhook rate limited');
  throw tooManyRequests(decision.resetSeconds);
}

/**
 * Verifies a delivery over its exact bytes, then stores it raw and queues its normalization in one
 * transaction, before the answer: what is acknowledged is durable. A second copy of an event
 * (even one arriving at the same moment: the unique key serializes them) answers `duplicate`.
 */
export async function receiveWebhook(d: IngestionDeps, provider: Provider, sourceId: string, rawBody: Buffer, headers: IncomingHttpHeaders): Promise<WebhookReceipt> {
  const source = await findSource(d, sourceId);
  if (!source || source.provider !== provider) throw notFound('source');
  await limit(d, provider, sourceId);
  if (source.status !== 'active') throw refuse(d, provider, sourceId, 'disabled', 'source is disabled');
  const now = new Date();
  const v = await adapterFor(provider).verify(
    { rawBody, headers },
    {
      secrets: secretsOf(d, source, now),
      settings: source.settings.webhook_id ? { webhookId: source.settings.webhook_id } : {},
      now,
      stripeToleranceSeconds: d.config.ingestion.stripeToleranceSeconds,
      certificates: d.certificates,
    },
  );
  if (!v.ok) {
    // Signed, but not a payload at all: the sender's bug, not a forgery.
    if (v.reason === 'malformed' && !parses(rawBody)) throw new AppError(400, 'malformed-json', 'The request body is not valid JSON.');
    throw refuse(d, provider, sourceId, v.reason, v.detail);
  }
  const tenantId = source.tenant_id;
  const body = encodeBody(rawBody);
  const receipt = await withTenant(d.db, tenantId, async (trx): Promise<WebhookReceipt> => {
    const inserted = await trx
      .insertInto('raw_events')
      .values({
        tenant_id: tenantId,
        source_id: sourceId,
        provider,
        topic: v.kind === 'ping' ? 'ping' : v.topic,
        event_key: v.eventKey,
        provider_event_id: v.kind === 'ping' ? null : v.providerEventId,
        resource_id: v.kind === 'ping' ? null : v.resourceId,
        headers: JSON.stringify(v.headers),
        content_type: typeof headers['content-type'] === 'string' ? headers['content-type'].slice(0, 200) : null,
        body_ciphertext: d.cipher.encrypt(body.text, bodyCtx(tenantId)),
        body_encoding: body.encoding,
        body_bytes: rawBody.length,
        ...(v.kind === 'ping' ? { status: 'ignored' as const, status_reason: 'WooCommerce webhook creation ping' } : {}),
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'source_id', 'event_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const existing = await trx.selectFrom('raw_events').select('id').where('source_id', '=', sourceId).where('event_key', '=', v.eventKey).executeTakeFirstOrThrow();
      return { status: 'duplicate', raw_event_id: existing.id };
    }
    if (v.kind === 'ping') return { status: 'ping', raw_event_id: inserted.id };
    await enqueue(d.boss, trx, normalizeQueue, { tenantId, rawEventId: inserted.id });
    return { status: 'accepted', raw_event_id: inserted.id };
  });
  d.metrics.webhookDeliveries.inc({ provider, outcome: receipt.status });
  return receipt;
}
