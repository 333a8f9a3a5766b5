/**
 * The baselines: the same answers as the endpoints, computed by one aggregate over the raw
 * `orders` (and `refunds`) rows as the owner, with the tenant named explicitly instead of by
 * row-level security. No rollup, no customers.first_order_at, no cache.
 */
import type pg from 'pg';

const COUNTED = `'paid', 'fulfilled', 'partially_refunded', 'refunded'`;

/** One day of a store's gross revenue in one currency. */
export interface RawDay {
  day: string;
  currency: string;
  gross: string;
}

/**
 * A store's daily gross revenue over `[from, to)` by local day of its time zone, zero-filled
 * over every local day the range touches, per currency that has sales.
 */
export async function rawDailySeries(c: pg.Client, tenantId: string, storeId: string, from: string, to: string): Promise<RawDay[]> {
  const r = await c.query<RawDay>(
    `with st as (select timezone as tz from stores where id = $2),
     days as (
       select gs::date as day from st,
         generate_series(($3::timestamptz at time zone st.tz)::date, (($4::timestamptz at time zone st.tz) - interval '1 microsecond')::date, interval '1 day') gs),
     sums as (
       select (o.placed_at at time zone st.tz)::date as day, o.currency::text as currency, sum(o.total) as gross
       from orders o, st
       where o.tenant_id = $1 and o.store_id = $2 and o.status in (${COUNTED}) and o.placed_at >= $3 and o.placed_at < $4
       group by 1, 2)
     select to_char(days.day, 'YYYY-MM-DD') as day, cur.currency, coalesce(sums.gross, 0)::text as gross
     from days cross join (select distinct currency from sums) cur
     left join sums on sums.day = days.day and sums.currency = cur.currency
     order by cur.currency, days.day`,
    [tenantId, storeId, from, to],
  );
  return r.rows;
}

/** The all-stores figures of one currency in one period (`current`: the asked one, else the previous). */
export interface RawKpis {
  currency: string;
  current: boolean;
  orders: number;
  gross: string;
  units: number;
  refunds: string;
  customers: number;
  new_customers: number;
}

/**
 * The all-stores KPIs of `[from, to)` and of the previous period of equal length, per currency:
 * orders, gross, units, distinct customers, new customers (first counted order ever, found by
 * aggregating every order of the tenant) and refunds in the period.
 */
export async function rawKpis(c: pg.Client, tenantId: string, from: string, to: string): Promise<RawKpis[]> {
  const prevFrom = new Date(2 * Date.parse(from) - Date.parse(to)).toISOString();
  const r = await c.query<RawKpis>(
    `with o as (
       select currency::text as currency, customer_id, total, units, placed_at >= $2 as current
       from orders where tenant_id = $1 and placed_at >= $3 and placed_at < $4 and status in (${COUNTED})),
     firsts as (
       select customer_id, min(placed_at) as first from orders
       where tenant_id = $1 and status in (${COUNTED}) and customer_id is not null group by customer_id),
     sales as (
       select o.currency, o.current, count(*)::int as orders, sum(o.total) as gross, sum(o.units)::int as units,
         count(distinct o.customer_id)::int as customers,
         count(distinct o.customer_id) filter (where f.first >= (case when o.current then $2 else $3 end)::timestamptz
                                                and f.first < (case when o.current then $4 else $2 end)::timestamptz)::int as new_customers
       from o left join firsts f on f.customer_id = o.customer_id
       group by 1, 2),
     refunded as (
       select r.currency::text as currency, r.refunded_at >= $2 as current, sum(r.amount) as refunds
       from refunds r join orders ro on ro.id = r.order_id
       where r.tenant_id = $1 and r.refunded_at >= $3 and r.refunded_at < $4
       group by 1, 2)
     select coalesce(s.currency, rf.currency) as currency, coalesce(s.current, rf.current) as current,
       coalesce(s.orders, 0) as orders, coalesce(s.gross, 0)::text as gross, coalesce(s.units, 0) as units,
       coalesce(rf.refunds, 0)::text as refunds, coalesce(s.customers, 0) as customers, coalesce(s.new_customers, 0) as new_customers
     from sales s full join refunded rf on rf.currency = s.currency and rf.current = s.current
     order by 1, 2`,
    [tenantId, from, prevFrom, to],
  );
  return r.rows;
}

/** Each store's id, time zone and the instants its local year starts and ends (what a one-year series asks for). */
export async function storeYears(c: pg.Client, tenantId: string, fromDay: string, toDay: string): Promise<{ id: string; timezone: string; from: string; to: string }[]> {
  const r = await c.query<{ id: string; timezone: string; from: Date; to: Date }>(
    `select id::text, timezone, ($2::timestamp at time zone timezone) as from, ($3::timestamp at time zone timezone) as to
     from stores where tenant_id = $1 order by external_id`,
    [tenantId, fromDay, toDay],
  );
  return r.rows.map((s) => ({ id: s.id, timezone: s.timezone, from: s.from.toISOString(), to: s.to.toISOString() }));
}
