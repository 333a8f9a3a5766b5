import { sql, type RawBuilder } from 'kysely';
import type { Trx } from '../platform/db.ts';
import { unlessUniqueViolation } from '../platform/savepoint.ts';

/** The store under which orders without one are rolled up. */
export const NO_STORE = '00000000-0000-0000-0000-000000000000';
/** The rollup rows of the whole tenant (every store, in the tenant's time zone): all-stores figures read a few rows, not one per store. */
export const ALL_STORES = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** The order statuses whose orders count as sales (placed and paid for). */
export const COUNTED_STATUSES = ['paid', 'fulfilled', 'partially_refunded', 'refunded'] as const;

/** A moment whose buckets may have changed, for a store (null: no store). */
export interface Touch {
  storeId: string | null;
  at: Date | string;
}

const COUNTED = sql.raw(COUNTED_STATUSES.map((s) => `'${s}'`).join(', '));
const TENANT = sql.raw(`current_setting('app.tenant_id')::uuid`);

/**
 * The buckets to recompute, one row each: store, bucket key, and the instant range it covers.
 * Hours are UTC; days are local days of the store's time zone (the tenant's without a store).
 */
function bucketsCte(kind: 'hour' | 'day', stores: (string | null)[], ats: string[]): RawBuilder<unknown> {
  // Every touch also touches the tenant-wide row of its bucket.
  const touches = sql`select distinct coalesce(s, ${NO_STORE}::uuid) as s, a from unnest(${stores}::uuid[], ${ats}::timestamptz[]) as x(s, a)
    union select ${ALL_STORES}::uuid, a from unnest(${ats}::timestamptz[]) as y(a)`;
  if (kind === 'hour') {
    return sql`b as (select distinct s, date_trunc('hour', a) as k, date_trunc('hour', a) as lo, date_trunc('hour', a) + interval '1 hour' as hi from (${touches}) t)`;
  }
  return sql`z as (
      select distinct t.s, (t.a at time zone tz.name)::date as k, tz.name
      from (${touches}) t
      cross join lateral (select coalesce((select timezone from stores where id = t.s), (select timezone from tenants where id = ${TENANT})) as name) tz
    ), b as (select s, k, (k::timestamp at time zone name) as lo, ((k + 1)::timestamp at time zone name) as hi from z)`;
}

/** Recomputes one rollup table's buckets from the orders and refunds rows: correct whatever changed, however often. */
async function refreshTable(trx: Trx, kind: 'hour' | 'day', stores: (string | null)[], ats: string[]): Promise<void> {
  const table = sql.table(kind === 'hour' ? 'sales_hourly' : 'sales_daily');
  const col = sql.ref(kind);
  const b = bucketsCte(kind, stores, ats);
  // Two transactions refreshing one bucket would each delete the rows they can see and insert their
  // own sums: the second insert fails on the primary key (an upsert would lose the first one's
  // orders). So each bucket is locked until commit, in one order (two refreshes never deadlock),
  // by a statement of its own: after a wait, the delete and insert see what the other committed.
  await sql`with ${b} select pg_advisory_xact_lock(h) from (
      select distinct hashtextextended(concat_ws(':', ${kind}::text, ${TENANT}, s, extract(epoch from k)), 0) as h from b) x order by h`.execute(trx);
  await sql`with ${b} delete from ${table} r using b where r.tenant_id = ${TENANT} and r.store_id = b.s and r.${col} = b.k`.execute(trx);
  // Each bucket reads its own rows through LATERAL: one index range scan per bucket, whatever the
  // size of the tenant (a join would let the planner hash the whole orders table instead).
  const orders = (where: RawBuilder<unknown>) => sql`lateral (
      select o.currency, coalesce(o.channel, '') as channel, count(*) as n, sum(o.total) as g, sum(o.units) as u
      from orders o where o.tenant_id = ${TENANT} and ${where} and o.placed_at >= b.lo and o.placed_at < b.hi and o.status in (${COUNTED})
      group by 1, 2) x`;
  await sql`with ${b}
    insert into ${table} (tenant_id, store_id, currency, channel, ${col}, orders, gross, units, refunds, refund_count)
    select ${TENANT}, s, currency, channel, k, sum(n), sum(g), sum(u), sum(rf), sum(rc) from (
      select b.s, b.k, x.currency, x.channel, x.n, x.g, x.u, 0::numeric as rf, 0 as rc
        from b cross join ${orders(sql`o.store_id = b.s`)} where b.s not in (${NO_STORE}::uuid, ${ALL_STORES}::uuid)
      union all
      select b.s, b.k, x.currency, x.channel, x.n, x.g, x.u, 0, 0 from b cross join ${orders(sql`true`)} where b.s = ${ALL_STORES}::uuid
      union all
      select b.s, b.k, x.currency, x.channel, x.n, x.g, x.u, 0, 0 from b cross join ${orders(sql`o.store_id is null`)} where b.s = ${NO_STORE}::uuid
      union all
      select b.s, b.k, y.currency, y.channel, 0, 0, 0, y.rf, y.rc from b cross join lateral (
        select r.currency, coalesce(o.channel, '') as channel, sum(r.amount) as rf, count(*) as rc
        from refunds r join orders o on o.id = r.order_id
        where r.tenant_id = ${TENANT} and r.refunded_at >= b.lo and r.refunded_at < b.hi
          and (coalesce(o.store_id, ${NO_STORE}::uuid) = b.s or b.s = ${ALL_STORES}::uuid)
        group by 1, 2) y
    ) x group by s, k, currency, channel`.execute(trx);
}

/** Brings the hourly and daily rollups of every touched bucket up to date, in the caller's transaction. */
export async function refreshRollups(trx: Trx, touches: readonly Touch[]): Promise<void> {
  if (touches.length === 0) return;
  const stores = touches.map((t) => t.storeId);
  const ats = touches.map((t) => (typeof t.at === 'string' ? t.at : t.at.toISOString()));
  await refreshTable(trx, 'hour', stores, ats);
  await refreshTable(trx, 'day', stores, ats);
}

/**
 * Where an order's figures land: its placement and each of its refunds, under its store. Read
 * before a change (the buckets it leaves) and after (the buckets it enters).
 */
export async function touchesOfOrders(trx: Trx, orderIds: readonly string[]): Promise<Touch[]> {
  if (orderIds.length === 0) return [];
  const r = await sql<{ store_id: string | null; at: Date }>`
    select o.store_id, o.placed_at as at from orders o where o.id = any(${[...orderIds]}::uuid[])
    union
    select o.store_id, r.refunded_at from refunds r join orders o on o.id = r.order_id where r.order_id = any(${[...orderIds]}::uuid[])`.execute(trx);
  return r.rows.map((x) => ({ storeId: x.store_id, at: x.at }));
}

/** The bucket of an instant: the UTC hour, or the local day in the given zone. */
function bucketOf(kind: 'hour' | 'day', at: RawBuilder<unknown>, zone: RawBuilder<unknown>): RawBuilder<unknown> {
  if (kind === 'hour') return sql`date_trunc('hour', ${at})`;
  return sql`(${at} at time zone ${zone})::date`;
}

/** The instants a bulk write touched: its rollups are rebuilt over the buckets that cover them. */
export interface RebuildWindow {
  from: Date;
  to: Date;
}

/**
 * Recomputes the rollups of some stores, or of the whole tenant, straight from the orders and
 * refunds rows (the rebuild command, a store's time zone change, the end of an import): one
 * aggregate per table, not a bucket at a time. With a window, only the buckets covering it.
 */
export async function rebuildRollups(trx: Trx, storeIds: readonly string[] | 'all', window?: RebuildWindow): Promise<void> {
  await rebuildLevel(trx, 'store', storeIds, window);
  // The tenant-wide rows sum every store: any store's change changes them, so they are rebuilt whole.
  await rebuildLevel(trx, 'tenant', 'all', window);
}

/**
 * Which buckets a rebuild replaces, and a cheap range on the rows that can fall in them: whole UTC
 * hours, or local dates a day either side (no zone is more than 14 hours from UTC), read from rows
 * three days either side.
 */
function windowOf(kind: 'hour' | 'day', w: RebuildWindow | undefined, col: RawBuilder<unknown>, at: RawBuilder<unknown>, bucket: RawBuilder<unknown>) {
  if (!w) return { buckets: sql`true`, rows: sql`true` };
  if (kind === 'hour') {
    const lo = sql`date_trunc('hour', ${w.from}::timestamptz, 'UTC')`;
    const hi = sql`date_trunc('hour', ${w.to}::timestamptz, 'UTC')`;
    return { buckets: sql`${col} between ${lo} and ${hi}`, rows: sql`${at} >= ${lo} and ${at} < ${hi} + interval '1 hour'` };
  }
  const lo = sql`(${w.from}::timestamptz - interval '1 day')::date`;
  const hi = sql`(${w.to}::timestamptz + interval '1 day')::date`;
  return {
    buckets: sql`${col} between ${lo} and ${hi}`,
    rows: sql`${at} >= ${w.from}::timestamptz - interval '3 days' and ${at} < ${w.to}::timestamptz + interval '3 days' and ${bucket} between ${lo} and ${hi}`,
  };
}

async function rebuildLevel(trx: Trx, level: 'store' | 'tenant', storeIds: readonly string[] | 'all', window?: RebuildWindow): Promise<void> {
  const store = level === 'tenant' ? sql`${ALL_STORES}::uuid` : sql`coalesce(o.store_id, ${NO_STORE}::uuid)`;
  const only = storeIds === 'all' ? sql`true` : sql`coalesce(o.store_id, ${NO_STORE}::uuid) = any(${[...storeIds]}::uuid[])`;
  const rows = level === 'tenant' ? sql`store_id = ${ALL_STORES}::uuid` : storeIds === 'all' ? sql`store_id <> ${ALL_STORES}::uuid` : sql`store_id = any(${[...storeIds]}::uuid[])`;
  // The store's zone comes from a join, not a lookup per row; the tenant-wide rows use the tenant's.
  const zone = level === 'tenant' ? sql`tz.name` : sql`coalesce(st.timezone, tz.name)`;
  for (const kind of ['hour', 'day'] as const) {
    const table = sql.table(kind === 'hour' ? 'sales_hourly' : 'sales_daily');
    const col = sql.ref(kind);
    const placed = windowOf(kind, window, col, sql`o.placed_at`, bucketOf(kind, sql`o.placed_at`, zone));
    const refunded = windowOf(kind, window, col, sql`r.refunded_at`, bucketOf(kind, sql`r.refunded_at`, zone));
    await retryOnUniqueViolation(trx, async () => {
      await sql`delete from ${table} where tenant_id = ${TENANT} and ${rows} and ${placed.buckets}`.execute(trx);
      await sql`with tz as (select timezone as name from tenants where id = ${TENANT})
        insert into ${table} (tenant_id, store_id, currency, channel, ${col}, orders, gross, units, refunds, refund_count)
        select ${TENANT}, s, currency, channel, k, sum(n), sum(g), sum(u), sum(rf), sum(rc) from (
          select ${store} as s, ${bucketOf(kind, sql`o.placed_at`, zone)} as k, o.currency, coalesce(o.channel, '') as channel,
                 count(*) as n, sum(o.total) as g, sum(o.units) as u, 0::numeric as rf, 0 as rc
            from orders o left join stores st on st.id = o.store_id cross join tz
            where o.tenant_id = ${TENANT} and ${only} and o.status in (${COUNTED}) and ${placed.rows} group by 1, 2, 3, 4
          union all
          select ${store}, ${bucketOf(kind, sql`r.refunded_at`, zone)}, r.currency, coalesce(o.channel, ''), 0, 0, 0, sum(r.amount), count(*)
            from refunds r join orders o on o.id = r.order_id left join stores st on st.id = o.store_id cross join tz
            where r.tenant_id = ${TENANT} and ${only} and ${refunded.rows} group by 1, 2, 3, 4
        ) x group by s, k, currency, channel`.execute(trx);
    });
  }
}

const REBUILD_ATTEMPTS = 5;

/**
 * Runs a rebuild step under a savepoint, again when it hits a unique violation. A rebuild takes no
 * bucket locks (a window can hold millions of buckets), so a refresh committing a bucket row the
 * rebuild's delete could not see makes its insert collide. Waiting for that row was waiting for
 * its commit: the next attempt's statements see it, delete it and count its orders, where giving
 * up would fail (and restart) a whole import. The last attempt's error propagates.
 */
async function retryOnUniqueViolation(trx: Trx, step: () => Promise<void>): Promise<void> {
  for (let attempt = 1; attempt < REBUILD_ATTEMPTS; attempt++) {
    const done = await unlessUniqueViolation(trx, async () => {
      await step();
      return true;
    });
    if (done) return;
  }
  await step();
}
