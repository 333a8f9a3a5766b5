import { notFound } from '../platform/errors.ts';
import { checkInstants } from '../platform/time-range.ts';
import { decodeCursor, newestFirst, page } from '../platform/pagination.ts';
import { withTenant } from '../platform/tenancy.ts';
import { bodyCtx, decodeBody, type IngestionDeps } from './context.ts';
import { toRawEvent } from './mappers.ts';
import { parsePayload } from './normalize/index.ts';
import type { Provider } from './providers/types.ts';
import type { RawEventStatus } from './tables.ts';
import './tables.ts';

interface RawEventFilter {
  limit?: number;
  cursor?: string;
  source_id?: string;
  provider?: Provider;
  topic?: string;
  status?: RawEventStatus;
  received_from?: string;
  received_to?: string;
}

/** A page of raw events without bodies, newest first. */
export async function listRawEvents(d: IngestionDeps, tenantId: string, f: RawEventFilter) {
  checkInstants({ received_from: f.received_from, received_to: f.received_to }, 'query', ['received_from', 'received_to']);
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => {
    let q = trx
      .selectFrom('raw_events')
      .select(['id', 'source_id', 'provider', 'topic', 'event_key', 'provider_event_id', 'resource_id', 'status', 'status_reason', 'attempts', 'body_bytes', 'received_at', 'processed_at', 'body_encoding'])
      .$call(newestFirst(after, limit, 'received_at', 'id'));
    if (f.source_id) q = q.where('source_id', '=', f.source_id);
    if (f.provider) q = q.where('provider', '=', f.provider);
    if (f.topic) q = q.where('topic', '=', f.topic);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.received_from) q = q.where('received_at', '>=', new Date(f.received_from));
    if (f.received_to) q = q.where('received_at', '<', new Date(f.received_to));
    return q.execute();
  });
  const { items, next } = page(rows, limit, (r) => [r.received_at, r.id]);
  return { data: items.map(toRawEvent), next_cursor: next };
}

/** One raw event with its kept headers and its body (parsed when it is JSON, else the text). */
export async function getRawEvent(d: IngestionDeps, tenantId: string, id: string) {
  const r = await withTenant(d.db, tenantId, (trx) => trx.selectFrom('raw_events').selectAll().where('id', '=', id).executeTakeFirst());
  if (!r) throw notFound('raw event');
  const raw = decodeBody(d.cipher.decrypt(r.body_ciphertext, bodyCtx(tenantId)), r.body_encoding);
  let body: unknown = r.body_encoding === 'base64' ? raw.toString('base64') : raw.toString('utf8');
  if (r.body_encoding === 'utf8') {
    try {
      // The same exact-digit parse normalization uses: an 18-digit Shopify id reads back as sent.
      body = parsePayload(raw);
    } catch {
      // Not JSON (a form ping): the text as received.
    }
  }
  return { ...toRawEvent(r), content_type: r.content_type, headers: r.headers, body };
}
