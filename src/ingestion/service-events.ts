import { randomUUID } from 'node:crypto';
import type { components } from '../../generated/api.ts';
import { cacheInvalidator, writeOrders, type CanonicalOrder } from '../commerce/index.ts';
import type { FieldError } from '../platform/errors.ts';
import { badRequest } from '../platform/errors.ts';
import { sql } from 'kysely';
import type { Trx } from '../platform/db.ts';
import { withTenant } from '../platform/tenancy.ts';
import { unnestRows, type ColumnSpec } from '../platform/column-arrays.ts';
import { unlessUniqueViolation } from '../platform/savepoint.ts';
import type { IngestionDeps } from './context.ts';
import { orderFromRecord } from './imports/index.ts';
import './tables.ts';

type Event = components['schemas']['IngestEvent'];
type Of<T extends Event['type']> = Extract<Event, { type: T }>;


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

const of = <T extends Event['type']>(events: readonly Event[], t: T) => events.filter((e): e is Of<T> => e.type === t);

/**
 * One INSERT … SELECT FROM unnest(arrays) per kind (see column-arrays.ts); answers the rows written.
 * Most batches repeat no id, so a plain insert comes first; only a batch that meets an id already
 * stored (or repeats one) pays for `ON CONFLICT DO NOTHING`, measured at a tenth of the time.
 */
async function insertColumns<E>(trx: Trx, tenantId: string, table: string, events: readonly E[], columns: Record<string, ColumnSpec<E>>): Promise<number> {
  if (events.length === 0) return 0;
  const { names, select } = unnestRows(events, columns);
  // The affected-row count is what was written (a duplicate id inserts nothing): no RETURNING needed.
  const insert = async (skipDuplicates: boolean) => {
    const r = await sql`insert into ${sql.table(table)} (tenant_id, ${sql.join(names.map((n) => sql.ref(n)))})
      select ${tenantId}::uuid, u.* from (${select}) u
      ${skipDuplicates ? sql`on conflict (tenant_id, event_id) do nothing` : sql``}`.execute(trx);
    return Number(r.numAffectedRows ?? 0n);
  };
  return (await unlessUniqueViolation(trx, () => insert(false))) ?? (await insert(true));
}

async function writeBatch(trx: Trx, tenantId: string, events: readonly Event[]) {
  const id = (e: { id?: string }) => e.id ?? randomUUID();
  const touchpoint = await insertColumns(trx, tenantId, 'touchpoints', of(events, 'touchpoint'), {
    event_id: ['text', id], channel: ['text', (e) => e.channel], campaign: ['text', (e) => e.campaign ?? null],
    anonymous_id: ['text', (e) => e.anonymous_id ?? null], customer_ref: ['text', (e) => e.customer_ref ?? null], occurred_at: ['timestamptz', (e) => e.occurred_at],
  });
  const conversion = await insertColumns(trx, tenantId, 'conversions', of(events, 'conversion'), {
    event_id: ['text', id], order_ref: ['text', (e) => e.order_ref ?? null], value: ['numeric', (e) => e.value ?? null], currency: ['text', (e) => e.currency ?? null],
    anonymous_id: ['text', (e) => e.anonymous_id ?? null], customer_ref: ['text', (e) => e.customer_ref ?? null], occurred_at: ['timestamptz', (e) => e.occurred_at],
  });
  const metric = await insertColumns(trx, tenantId, 'metric_points', of(events, 'metric'), {
    event_id: ['text', id], series_key: ['text', (e) => e.series_key], occurred_at: ['timestamptz', (e) => e.occurred_at], value: ['float8', (e) => e.value],
  });
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
