import { sql } from 'kysely';
import { applyChanges, cacheInvalidator, type CommerceChange } from '../commerce/index.ts';
import type { Stores } from '../platform/redis.ts';
import type { FieldCipher } from '../platform/crypto/index.ts';
import type { Trx } from '../platform/db.ts';
import { bodyCtx, decodeBody } from './context.ts';
import { NormalizeError, normalizerFor, parsePayload } from './normalize/index.ts';
import './tables.ts';

export const NORMALIZE_QUEUE = 'ingestion.normalize';

function parseBody(raw: Buffer, contentType: string | null): unknown {
  if (contentType?.includes('x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  try {
    // Exact digits: Shopify ids can pass 2^53, which JSON.parse would round.
    return parsePayload(raw);
  } catch {
    throw new NormalizeError('body', 'is not JSON');
  }
}

// Shopify's body does not name its shop; the verified header does, and it is the store.
function withShopStore(changes: CommerceChange[], shop: string | undefined): CommerceChange[] {
  if (!shop) return changes;
  return changes.map((c) => (c.kind === 'order' && c.order.storeExternalId === null ? { ...c, order: { ...c.order, storeExternalId: shop } } : c));
}

/** Turns one raw event into canonical rows, in the job's transaction; an event already settled is left alone. */
export async function normalizeRawEvent(trx: Trx, services: { cipher: FieldCipher; stores: Stores }, tenantId: string, rawEventId: string): Promise<void> {
  const { cipher } = services;
  const ev = await trx.selectFrom('raw_events').selectAll().where('id', '=', rawEventId).forUpdate().executeTakeFirst();
  if (!ev || ev.status === 'processed' || ev.status === 'ignored' || ev.status === 'discarded') return;
  const raw = decodeBody(cipher.decrypt(ev.body_ciphertext, bodyCtx(tenantId)), ev.body_encoding);
  const result = normalizerFor(ev.provider)(ev.topic, parseBody(raw, ev.content_type));
  const done = { attempts: sql<number>`attempts + 1`, processed_at: sql<Date>`now()` };
  if (result.status === 'ignored') {
    await trx.updateTable('raw_events').set({ ...done, status: 'ignored', status_reason: result.reason }).where('id', '=', ev.id).execute();
    return;
  }
  const source = await trx.selectFrom('sources').select('store_id').where('id', '=', ev.source_id).executeTakeFirstOrThrow();
  const changes = withShopStore(result.changes, ev.provider === 'shopify' ? ev.headers['shopify-shop-domain'] : undefined);
  await applyChanges(trx, { tenantId, sourceId: ev.source_id, storeId: source.store_id, cipher, invalidate: cacheInvalidator(services.stores, tenantId) }, changes);
  await trx.updateTable('raw_events').set({ ...done, status: 'processed', status_reason: null }).where('id', '=', ev.id).execute();
}

/**
 * Records a failed attempt (the job's own transaction rolled back). Past the retry limit, or at
 * once for a payload that can never normalize, the event becomes a dead letter and the job stops.
 */
export async function recordFailure(trx: Trx, rawEventId: string, error: unknown, retryLimit: number): Promise<boolean> {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
  const ev = await trx
    .updateTable('raw_events')
    .set({ attempts: sql<number>`attempts + 1`, status_reason: message })
    .where('id', '=', rawEventId)
    .where('status', 'in', ['pending', 'failed'])
    .returning(['attempts', 'tenant_id'])
    .executeTakeFirst();
  if (!ev) return true;
  const permanent = error instanceof NormalizeError;
  if (!permanent && ev.attempts <= retryLimit) return false;
  await trx.updateTable('raw_events').set({ status: 'failed' }).where('id', '=', rawEventId).execute();
  await trx
    .insertInto('dead_letters')
    .values({ tenant_id: ev.tenant_id, raw_event_id: rawEventId, queue: NORMALIZE_QUEUE, error: message, attempts: ev.attempts })
    .onConflict((oc) =>
      oc.column('raw_event_id').doUpdateSet({ status: 'open', error: message, attempts: ev.attempts, updated_at: sql`now()` }),
    )
    .execute();
  return true;
}
