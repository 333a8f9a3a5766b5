import { randomUUID } from 'node:crypto';
import type { components } from '../../generated/api.ts';
import { cacheInvalidator, writeOrders, type CanonicalOrder } from '../commerce/index.ts';
import type { FieldError } from '../platform/errors.ts';
import { badRequest } from '../platform/errors.ts';
import type { Trx } from '../platform/db.ts';
import { withTenant } from '../platform/tenancy.ts';
import type { IngestionDeps } from './context.ts';
import { orderFromRecord } from './imports/index.ts';
import './tables.ts';

type Event = components['schemas']['IngestEvent'];
type Of<T extends Event['type']> = Extract<Event, { type: T }>;

// Postgres takes at most 65,535 bind parameters in one statement: rows per multi-row INSERT.
const CHUNK = 5000;

/** Rules the contract cannot say: checked for the whole batch before anything is written. */
function check(events: readonly Event[]): { errors: FieldError[]; orders: CanonicalOrder[] } {
  const errors: FieldError[] = [];
  const orders: CanonicalOrder[] = [];
  events.forEach((e, i) => {
    const at = `body.events.${i}`;
    const when = e.type === 'order' ? { name: 'placed_at', v: e.placed_at } : { name: 'occurred_at', v: e.occurred_at };
    // RFC 3339 allows a leap second (23:59:60), which the contract's format accepts and Postgres cannot store.
    if (Number.isNaN(Date.parse(when.v))) errors.push({ name: `${at}.${when.name}`, reason: 'is not a valid instant' });
    if (e.type === 'conversion') {
      if (e.order_ref === undefined && e.value === undefined) errors.push({ name: at, reason: 'a conversion needs order_ref or value' });
      if (e.value !== undefined && e.currency === undefined) errors.push({ name: `${at}.currency`, reason: 'is required with value' });
    }
    if (e.type === 'order') {
      const r = orderFromRecord(e);
      if (r.ok) orders.push(r.value);
      else errors.push({ name: at, reason: r.reason });
    }
  });
  return { errors, orders };
}

async function insertChunks<R>(rows: readonly R[], insert: (chunk: R[]) => Promise<number>): Promise<number> {
  let written = 0;
  for (let i = 0; i < rows.length; i += CHUNK) written += await insert(rows.slice(i, i + CHUNK));
  return written;
}

const of = <T extends Event['type']>(events: readonly Event[], t: T) => events.filter((e): e is Of<T> => e.type === t);

async function writeBatch(trx: Trx, tenantId: string, events: readonly Event[]) {
  const id = (e: { id?: string }) => e.id ?? randomUUID();
  const touchpoint = await insertChunks(of(events, 'touchpoint'), async (c) =>
    (await trx.insertInto('touchpoints')
      .values(c.map((e) => ({ tenant_id: tenantId, event_id: id(e), channel: e.channel, campaign: e.campaign ?? null, anonymous_id: e.anonymous_id ?? null, customer_ref: e.customer_ref ?? null, occurred_at: e.occurred_at })))
      .onConflict((oc) => oc.columns(['tenant_id', 'event_id']).doNothing())
      .returning('event_id')
      .execute()).length);
  const conversion = await insertChunks(of(events, 'conversion'), async (c) =>
    (await trx.insertInto('conversions')
      .values(c.map((e) => ({ tenant_id: tenantId, event_id: id(e), order_ref: e.order_ref ?? null, value: e.value ?? null, currency: e.currency ?? null, anonymous_id: e.anonymous_id ?? null, customer_ref: e.customer_ref ?? null, occurred_at: e.occurred_at })))
      .onConflict((oc) => oc.columns(['tenant_id', 'event_id']).doNothing())
      .returning('event_id')
      .execute()).length);
  const metric = await insertChunks(of(events, 'metric'), async (c) =>
    (await trx.insertInto('metric_points')
      .values(c.map((e) => ({ tenant_id: tenantId, event_id: id(e), series_key: e.series_key, occurred_at: e.occurred_at, value: e.value })))
      .onConflict((oc) => oc.columns(['tenant_id', 'event_id']).doNothing())
      .returning('event_id')
      .execute()).length);
  return { touchpoint, conversion, metric };
}

/**
 * Validates the whole batch, then writes it in one transaction with a multi-row statement per
 * kind. An event id seen before (per kind) is a duplicate and is not written again; an order is
 * keyed by its external id, and an older `updated_at` than the stored one changes nothing.
 */
export async function ingestEvents(d: IngestionDeps, tenantId: string, events: readonly Event[]) {
  const { errors, orders } = check(events);
  if (errors.length > 0) throw badRequest('The batch was not written: some events are invalid.', errors);
  const written = await withTenant(d.db, tenantId, async (trx) => {
    const counts = await writeBatch(trx, tenantId, events);
    const order = (await writeOrders(trx, { tenantId, sourceId: null, storeId: null, cipher: d.cipher, invalidate: cacheInvalidator(d.stores, tenantId) }, orders)).length;
    return { ...counts, order };
  });
  const total = written.touchpoint + written.conversion + written.metric + written.order;
  return { received: events.length, written: total, duplicates: events.length - total, by_type: written };
}
