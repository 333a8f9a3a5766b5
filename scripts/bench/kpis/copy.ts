/**
 * Plain COPY of the generated CSV as the owner: the import's baseline (into a plain table with
 * the orders columns' types, with or without the orders table's indexes), and the direct load of
 * the orders that do not go through the import API when the import is measured on a subset.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { withOwner } from '../lib/owner.ts';
import { CSV_COLUMNS } from './generate.ts';

const COUNTED = `'paid', 'fulfilled', 'partially_refunded', 'refunded'`;
const COPY_OPTIONS = 'with (format csv, header true)';

async function copyFile(c: pg.Client, table: string, columns: string, file: string): Promise<number> {
  const stream = c.query(copyFrom(`copy ${table} (${columns}) from stdin ${COPY_OPTIONS}`));
  await pipeline(createReadStream(file), stream);
  return stream.rowCount;
}

/** What one COPY did. */
export interface CopyTiming {
  rows: number;
  ms: number;
}

/**
 * COPYs `file` into a fresh normal (logged) table shaped like `orders`, its defaults included (ids
 * drawn, timestamps set) and the CSV's two external ids as text columns; with `indexes`, also the
 * orders table's seven indexes (store and customer ids replaced by those external ids). Timed from
 * the COPY's start to its commit; the table is dropped afterwards.
 */
export async function copyBaseline(url: string, tenantId: string, file: string, indexes: boolean): Promise<CopyTiming> {
  return withOwner(url, async (c) => {
    await c.query('drop table if exists copy_baseline');
    await c.query('create table copy_baseline (like orders including defaults)');
    // Ids from gen_random_uuid(), a C function, not the orders' time_ordered_uuid() (plain SQL, a
    // microsecond more a row): the plain COPY stays the fastest load of these rows there is.
    await c.query(`alter table copy_baseline add column store_external_id text, add column customer_external_id text,
      alter column id set default gen_random_uuid(), alter column tenant_id set default '${tenantId}', alter column provider_updated_at set default now()`);
    if (indexes) {
      for (const ddl of [
        'alter table copy_baseline add primary key (id)',
        'create unique index on copy_baseline (tenant_id, source_id, external_id) nulls not distinct',
        'create index on copy_baseline (tenant_id, placed_at, id)',
        'create index on copy_baseline (tenant_id, store_external_id, placed_at)',
        'create index on copy_baseline (tenant_id, customer_external_id)',
        'create index on copy_baseline (tenant_id, source_id, payment_ref) where payment_ref is not null',
        'create index on copy_baseline (tenant_id, placed_at) where store_external_id is null',
      ]) await c.query(ddl);
    }
    try {
      const started = performance.now();
      const rows = await copyFile(c, 'copy_baseline', CSV_COLUMNS.join(', '), file);
      return { rows, ms: performance.now() - started };
    } finally {
      await c.query('drop table copy_baseline');
    }
  });
}

/**
 * Loads orders straight into the tenant's tables as the import would have written them (customers
 * upserted, stores by external id, one line of `units` priced total / units, first-order times),
 * in one transaction. The rollups are not touched: the caller rebuilds them.
 */
export async function loadDirectly(url: string, tenantId: string, file: string): Promise<CopyTiming> {
  return withOwner(url, async (c) => {
    const started = performance.now();
    await c.query('begin');
    try {
      await c.query(`create temp table rest_rows (external_id text, store_external_id text, currency char(3), status text, total numeric(18,4),
        placed_at timestamptz(3), customer_external_id text, units integer) on commit drop`);
      const rows = await copyFile(c, 'rest_rows', CSV_COLUMNS.join(', '), file);
      await c.query(`insert into customers (tenant_id, source_id, external_id, provider_updated_at)
        select $1, null, customer_external_id, max(placed_at) from rest_rows where customer_external_id is not null group by customer_external_id
        on conflict (tenant_id, source_id, external_id) do update
          set provider_updated_at = greatest(customers.provider_updated_at, excluded.provider_updated_at), updated_at = now()`, [tenantId]);
      await c.query(`with ins as (
          insert into orders (tenant_id, source_id, external_id, store_id, customer_id, currency, status, subtotal, total, units, placed_at, provider_updated_at)
          select $1, null, r.external_id, s.id, cu.id, r.currency, r.status, r.total, r.total, r.units, r.placed_at, r.placed_at
          from rest_rows r
          left join stores s on s.tenant_id = $1 and s.external_id = r.store_external_id
          left join customers cu on cu.tenant_id = $1 and cu.source_id is null and cu.external_id = r.customer_external_id
          order by r.placed_at
          returning id, units, total)
        insert into order_lines (tenant_id, order_id, position, quantity, unit_price, total)
        select $1, id, 0, units, case when units = 0 then total else round(total / units, 4) end, total from ins`, [tenantId]);
      await c.query(`update customers c set first_order_at = f.first
        from (select customer_id, min(placed_at) as first from orders where tenant_id = $1 and status in (${COUNTED}) and customer_id is not null group by 1) f
        where c.id = f.customer_id and c.first_order_at is distinct from f.first`, [tenantId]);
      await c.query('commit');
      return { rows, ms: performance.now() - started };
    } catch (err) {
      await c.query('rollback');
      throw err;
    }
  });
}

/** Fresh planner statistics and visibility maps for the tables the queries read, so neither side pays for autovacuum mid-run. */
export async function vacuumAnalyze(url: string): Promise<number> {
  return withOwner(url, async (c) => {
    const started = performance.now();
    for (const t of ['orders', 'customers', 'refunds', 'stores', 'sales_daily', 'sales_hourly']) await c.query(`vacuum (analyze) ${t}`);
    return performance.now() - started;
  });
}
