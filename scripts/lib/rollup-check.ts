/**
 * The rollups and customers' first-order times against what the raw rows say, bucket by bucket:
 * a plain-SQL reference that the import tests and the KPI benchmark both check loads against.
 */
import { ALL_STORES, COUNTED_STATUSES, NO_STORE } from '../../src/commerce/rollups.ts';

/** Runs one query with `$1` bound and answers the number in its first column (any client will do). */
export type CountQuery = (text: string, params: unknown[]) => Promise<number>;

const COUNTED = COUNTED_STATUSES.map((s) => `'${s}'`).join(', ');

// Rollup rows against the raw aggregate of the same buckets, both ways: the rows that differ.
function diffSql(table: string, col: string, bucket: (zone: string) => string): string {
  const raw = (store: string, zone: string) => `
    select ${store} as store_id, ${bucket(zone)} as k, o.currency, coalesce(o.channel, '') as channel, count(*)::int as orders, sum(o.total) as gross, sum(o.units)::bigint as units
    from orders o left join stores st on st.id = o.store_id cross join tz
    where o.tenant_id = $1 and o.status in (${COUNTED}) group by 1, 2, 3, 4`;
  return `with tz as (select timezone as name from tenants where id = $1),
    raw as (${raw(`coalesce(o.store_id, '${NO_STORE}'::uuid)`, 'coalesce(st.timezone, tz.name)')} union all ${raw(`'${ALL_STORES}'::uuid`, 'tz.name')}),
    roll as (select store_id, ${col} as k, currency, channel, orders, gross, units from ${table} where tenant_id = $1 and orders > 0)
    select count(*)::int from raw full join roll using (store_id, k, currency, channel)
    where raw.orders is distinct from roll.orders or raw.gross is distinct from roll.gross or raw.units is distinct from roll.units`;
}

/** The problems found in one tenant's rollups and first-order times (empty when they agree with the rows). */
export async function rollupProblems(count: CountQuery, tenantId: string): Promise<string[]> {
  const problems: string[] = [];
  const hourly = await count(diffSql('sales_hourly', 'hour', () => `date_trunc('hour', o.placed_at)`), [tenantId]);
  if (hourly > 0) problems.push(`${hourly} sales_hourly buckets differ from the orders`);
  const daily = await count(diffSql('sales_daily', 'day', (zone) => `(o.placed_at at time zone ${zone})::date`), [tenantId]);
  if (daily > 0) problems.push(`${daily} sales_daily buckets differ from the orders`);
  const first = await count(`select count(*)::int from customers c
      left join (select customer_id, min(placed_at) as first from orders where tenant_id = $1 and status in (${COUNTED}) group by 1) f on f.customer_id = c.id
      where c.tenant_id = $1 and c.first_order_at is distinct from f.first`, [tenantId]);
  if (first > 0) problems.push(`${first} customers' first_order_at differ from their orders`);
  return problems;
}
