import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sql } from 'kysely';
import { preparedQuery } from '../platform/db.ts';
import { AppError, notFound, tooManyRequests } from '../platform/errors.ts';
import { gatedJobInsert, jobsJson } from '../platform/jobs.ts';
import { resetSeconds } from '../platform/redis.ts';
import { withTenant } from '../platform/tenancy.ts';
import { bodyCtx, encodeBody, secretCtx, type IngestionDeps, type WebhookSource } from './context.ts';
import type { SourceSettings } from './tables.ts';
import { normalizeQueue } from './jobs.ts';
import { adapterFor } from './providers/index.ts';
import type { Provider, RefusalReason, Verification } from './providers/types.ts';
import './tables.ts';

/** What the provider is told. */
export interface WebhookReceipt {
  status: 'accepted' | 'duplicate' | 'ping';
  raw_event_id: string;
}

/** A row of ingestion_webhook_source(uuid). */
interface StoredSource {
  tenant_id: string;
  provider: Provider;
  status: 'active' | 'disabled';
  secret_ciphertext: string | null;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Date | null;
  settings: SourceSettings;
}

// A webhook names its source, not its tenant: the one owner-defined lookup that reads across tenants.
// Secrets are decrypted once per read, not per delivery: a cached source keeps them for its short life.
async function findSource(d: IngestionDeps, id: string): Promise<WebhookSource | undefined> {
  const r = await sql<StoredSource>`select * from ingestion_webhook_source(${id}::uuid)`.execute(d.db);
  const s = r.rows[0];
  if (!s) return undefined;
  return {
    tenant_id: s.tenant_id,
    provider: s.provider,
    status: s.status,
    settings: s.settings,
    secret: s.secret_ciphertext === null ? null : d.cipher.decrypt(s.secret_ciphertext, secretCtx(s.tenant_id, 'secret')),
    previous_secret: s.previous_secret_ciphertext === null ? null : d.cipher.decrypt(s.previous_secret_ciphertext, secretCtx(s.tenant_id, 'previous_secret')),
    previous_secret_expires_at: s.previous_secret_expires_at,
  };
}

function parses(raw: Buffer): boolean {
  try {
    JSON.parse(raw.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function secretsOf(s: WebhookSource, now: Date): string[] {
  const out: string[] = [];
  if (s.secret !== null) out.push(s.secret);
  if (s.previous_secret !== null && s.previous_secret_expires_at && s.previous_secret_expires_at > now) out.push(s.previous_secret);
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
  const woo = provider === 'woocommerce';
  const decision = await (woo ? d.webhookLimiters.woocommerce : d.webhookLimiters.other).consume(sourceId);
  if (decision.allowed) return;
  d.metrics.webhookDeliveries.inc({ provider, outcome: 'rate_limited' });
  d.log.warn({ provider, sourceId, retryAfter: resetSeconds(decision) }, woo ? 'webhook rate limited; WooCommerce will not retry this delivery' : 'webhook rate limited');
  throw tooManyRequests(resetSeconds(decision));
}

// A refusal re-reads a cached source only when the entry is at least this old.
const REFRESH_AFTER_MS = 1000;

type Checked = Verification | { ok: false; reason: 'disabled'; detail: string };
type Accepted = Extract<Verification, { ok: true }>;

async function check(d: IngestionDeps, provider: Provider, source: WebhookSource, rawBody: Buffer, headers: IncomingHttpHeaders): Promise<Checked> {
  if (source.status !== 'active') return { ok: false, reason: 'disabled', detail: 'source is disabled' };
  const now = new Date();
  return adapterFor(provider).verify(
    { rawBody, headers },
    {
      secrets: secretsOf(source, now),
      settings: source.settings.webhook_id ? { webhookId: source.settings.webhook_id } : {},
      now,
      stripeToleranceSeconds: d.config.ingestion.stripeToleranceSeconds,
      certificates: d.certificates,
    },
  );
}

// Columns of a stored delivery, in the order of the statement's parameters after the job array ($1).
const COLUMNS = ['id', 'tenant_id', 'source_id', 'provider', 'topic', 'event_key', 'provider_event_id', 'resource_id', 'headers', 'content_type', 'body_ciphertext', 'body_encoding', 'body_bytes', 'status', 'status_reason'] as const;
const CASTS: Partial<Record<(typeof COLUMNS)[number], string>> = { id: 'uuid', source_id: 'uuid', headers: 'jsonb', body_bytes: 'int4' };

const statements = new WeakMap<IngestionDeps, Promise<string>>();

/**
 * One statement stores a delivery and queues its normalization: the raw row and pg-boss's job
 * are written together or not at all, with no explicit transaction. The tenant comes from
 * `set_config` in the row's own source, so row-level security checks the row under its tenant;
 * the setting is transaction-local and ends with the statement.
 */
function storeStatement(d: IngestionDeps): Promise<string> {
  let s = statements.get(d);
  if (!s) {
    s = gatedJobInsert(d.boss, normalizeQueue, 'stored').then((job) => {
      const params = COLUMNS.map((c, i) => (c === 'tenant_id' ? 'cfg.tenant_id' : `$${i + 2}${CASTS[c] ? `::${CASTS[c]}` : ''}`));
      return `with stored as (
          insert into raw_events (${COLUMNS.join(', ')})
          select ${params.join(', ')}
          from (select set_config('app.tenant_id', $3::text, true)::uuid as tenant_id) cfg
          on conflict (tenant_id, source_id, event_key) do nothing
          returning id
        ), job as (${job})
        select id from stored`;
    });
    // A failure (the queue not installed yet) is not remembered: the next delivery tries again.
    s.catch(() => statements.delete(d));
    statements.set(d, s);
  }
  return s;
}

async function store(d: IngestionDeps, tenantId: string, sourceId: string, provider: Provider, v: Accepted, rawBody: Buffer, headers: IncomingHttpHeaders): Promise<WebhookReceipt> {
  const id = randomUUID();
  const ping = v.kind === 'ping';
  const body = encodeBody(rawBody);
  const row: Record<(typeof COLUMNS)[number], unknown> = {
    id,
    tenant_id: tenantId,
    source_id: sourceId,
    provider,
    topic: ping ? 'ping' : v.topic,
    event_key: v.eventKey,
    provider_event_id: ping ? null : v.providerEventId,
    resource_id: ping ? null : v.resourceId,
    headers: JSON.stringify(v.headers),
    content_type: typeof headers['content-type'] === 'string' ? headers['content-type'].slice(0, 200) : null,
    body_ciphertext: d.cipher.encrypt(body.text, bodyCtx(tenantId)),
    body_encoding: body.encoding,
    body_bytes: rawBody.length,
    status: ping ? 'ignored' : 'pending',
    status_reason: ping ? 'WooCommerce webhook creation ping' : null,
  };
  const jobs = ping ? null : jobsJson(normalizeQueue, { tenantId, rawEventId: id });
  const rows = await preparedQuery(d.db, 'ingestion_store_delivery', await storeStatement(d), [jobs, ...COLUMNS.map((c) => row[c])]);
  if (rows.length === 1) return { status: ping ? 'ping' : 'accepted', raw_event_id: id };
  // Rare: another copy was stored first. Its id, read in the tenant's scope.
  const existing = await withTenant(d.db, tenantId, (trx) =>
    trx.selectFrom('raw_events').select('id').where('source_id', '=', sourceId).where('event_key', '=', v.eventKey).executeTakeFirstOrThrow(),
  );
  return { status: 'duplicate', raw_event_id: existing.id };
}

/**
 * Verifies a delivery over its exact bytes, then stores it raw and queues its normalization in one
 * statement, before the answer: what is acknowledged is durable. A second copy of an event
 * (even one arriving at the same moment: the unique key serializes them) answers `duplicate`.
 */
export async function receiveWebhook(d: IngestionDeps, provider: Provider, sourceId: string, rawBody: Buffer, headers: IncomingHttpHeaders): Promise<WebhookReceipt> {
  const read = async () => {
    const found = await d.sourceCache.get(sourceId, () => findSource(d, sourceId));
    if (!found.value || found.value.provider !== provider) throw notFound('source');
    return { source: found.value, ageMs: found.ageMs };
  };
  let { source, ageMs } = await read();
  let v = await check(d, provider, source, rawBody, headers);
  if (!v.ok && ageMs >= REFRESH_AFTER_MS) {
    // The cached source may be older than a rotation or a re-enable elsewhere: judge by a fresh read
    // (at most one a second per source, so a flood of forged deliveries does not become one of reads).
    d.sourceCache.forget(sourceId);
    ({ source, ageMs } = await read());
    v = await check(d, provider, source, rawBody, headers);
  }
  if (!v.ok) {
    // Signed, but not a payload at all: the sender's bug, not a forgery.
    if (v.reason === 'malformed' && !parses(rawBody)) throw new AppError(400, 'malformed-json', 'The request body is not valid JSON.');
    throw refuse(d, provider, sourceId, v.reason, v.detail);
  }
  // Only verified deliveries count: forged ones cannot use up a source's budget and get the
  // provider's real deliveries refused (WooCommerce never sends those again).
  await limit(d, provider, sourceId);
  const receipt = await store(d, source.tenant_id, sourceId, provider, v, rawBody, headers);
  d.metrics.webhookDeliveries.inc({ provider, outcome: receipt.status });
  return receipt;
}
