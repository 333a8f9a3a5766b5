import { sql, type RawBuilder } from 'kysely';
import type { components } from '../../generated/api.ts';
import type { Trx } from '../platform/db.ts';
import { badRequest } from '../platform/errors.ts';
import { divide, formatMoney, toUnits } from './money.ts';
import { ALL_STORES, COUNTED_STATUSES, NO_STORE } from './rollups.ts';
import { checkRange } from '../platform/time-range.ts';
import { localIso, zoneOf } from './series.ts';
import './tables.ts';

type Schemas = components['schemas'];

/** What the KPIs are of: one store or all, one channel or all, broken down per store or channel or not. */
export interface KpiQuery {
  from: string;
  to: string;
  storeId: string | null;
  channel: string | null;
  groupBy: 'store' | 'channel' | null;
}

/** The longest period the KPIs cover (the previous period doubles what is read). */
export const MAX_KPI_DAYS = 1096;
const YEAR_ONE = Date.parse('0001-01-01T00:00:00Z');

interface Totals {
  currency: string;
  store_id: string | null;
  channel: string | null;
  orders: number;
  gross: string;
  units: number;
  refunds: string;
  customers: number;
  new_customers: number;
}

const COUNTED = sql.raw(COUNTED_STATUSES.map((s) => `'${s}'`).join(', '));

/** The grouping columns of a breakdown, as select-list expressions over a rollup or order row. */
function groupCols(q: KpiQuery, store: RawBuilder<unknown>, channel: RawBuilder<unknown>) {
  return {
    store: q.groupBy === 'store' ? sql`${store}` : sql`null::uuid`,
    channel: q.groupBy === 'channel' ? sql`${channel}` : sql`null::text`,
  };
}

/**
 * Sales of a period from the cheapest exact source: daily rollups when the period is whole local
 * days, hourly rollups when it is whole hours, the order rows otherwise.
 */
async function salesTotals(trx: Trx, q: KpiQuery, from: Date, to: Date, tz: string): Promise<Omit<Totals, 'customers' | 'new_customers'>[]> {
  // Per-store rows are in each store's own zone, so a breakdown by store cannot use days cut in one zone.
  const wholeDays = q.groupBy !== 'store' && localIso(from, tz).slice(11, 19) === '00:00:00' && localIso(to, tz).slice(11, 19) === '00:00:00';
  const wholeHours = from.getTime() % 3_600_000 === 0 && to.getTime() % 3_600_000 === 0;
  const chan = q.channel === null ? sql`true` : sql`channel = ${q.channel}`;
  if (wholeDays || wholeHours) {
    const table = sql.table(wholeDays ? 'sales_daily' : 'sales_hourly');
    const range = wholeDays
      ? sql`day >= (${from}::timestamptz at time zone ${tz})::date and day < (${to}::timestamptz at time zone ${tz})::date`
      : sql`hour >= ${from}::timestamptz and hour < ${to}::timestamptz`;
    const stores = q.groupBy === 'store' ? (q.storeId ? sql`store_id = ${q.storeId}` : sql`store_id <> ${ALL_STORES}::uuid`) : sql`store_id = ${q.storeId ?? ALL_STORES}`;
    const g = groupCols(q, sql`nullif(store_id, ${NO_STORE}::uuid)`, sql`nullif(channel, '')`);
    const r = await sql<Omit<Totals, 'customers' | 'new_customers'>>`
      select currency, ${g.store} as store_id, ${g.channel} as channel, sum(orders)::int as orders, sum(gross) as gross, sum(units)::int as units, sum(refunds) as refunds
      from ${table} where ${stores} and ${range} and ${chan} group by 1, 2, 3`.execute(trx);
    return r.rows;
  }
  const store = q.storeId ? sql`o.store_id = ${q.storeId}` : sql`true`;
  const ochan = q.channel === null ? sql`true` : sql`coalesce(o.channel, '') = ${q.channel}`;
  const g = groupCols(q, sql`o.store_id`, sql`o.channel`);
  const r = await sql<Omit<Totals, 'customers' | 'new_customers'>>`
    select currency, store_id, channel, sum(orders)::int as orders, sum(gross) as gross, sum(units)::int as units, sum(refunds) as refunds from (
      select o.currency, ${g.store} as store_id, ${g.channel} as channel, count(*) as orders, sum(o.total) as gross, sum(o.units) as units, 0::numeric as refunds
        from orders o where o.placed_at >= ${from} and o.placed_at < ${to} and o.status in (${COUNTED}) and ${store} and ${ochan} group by 1, 2, 3
      union all
      select r.currency, ${g.store}, ${g.channel}, 0, 0, 0, sum(r.amount)
        from refunds r join orders o on o.id = r.order_id where r.refunded_at >= ${from} and r.refunded_at < ${to} and ${store} and ${ochan} group by 1, 2, 3
    ) x group by 1, 2, 3`.execute(trx);
  return r.rows;
}

/** Distinct, new and returning customers of a period, from the orders (a distinct count does not roll up). */
async function customerTotals(trx: Trx, q: KpiQuery, from: Date, to: Date): Promise<Pick<Totals, 'currency' | 'store_id' | 'channel' | 'customers' | 'new_customers'>[]> {
  const store = q.storeId ? sql`o.store_id = ${q.storeId}` : sql`true`;
  const ochan = q.channel === null ? sql`true` : sql`coalesce(o.channel, '') = ${q.channel}`;
  const g = groupCols(q, sql`o.store_id`, sql`o.channel`);
  const r = await sql<Pick<Totals, 'currency' | 'store_id' | 'channel' | 'customers' | 'new_customers'>>`
    select o.currency, ${g.store} as store_id, ${g.channel} as channel, count(distinct o.customer_id)::int as customers,
           count(distinct o.customer_id) filter (where c.first_order_at >= ${from} and c.first_order_at < ${to})::int as new_customers
    from orders o join customers c on c.id = o.customer_id
    where o.placed_at >= ${from} and o.placed_at < ${to} and o.status in (${COUNTED}) and ${store} and ${ochan}
    group by 1, 2, 3`.execute(trx);
  return r.rows;
}

interface Reported {
  sales: number;
  customers: number;
  open_days: number;
}

/** Daily figures stores reported (Rossmann imports) for the local days starting in the period, per store currency. */
async function reportedTotals(trx: Trx, q: KpiQuery, from: Date, to: Date): Promise<Map<string | null, Reported>> {
  const store = q.storeId ? sql`s.store_id = ${q.storeId}` : sql`true`;
  const r = await sql<{ currency: string | null; sales: string | null; customers: number | null; open_days: number }>`
    select st.currency, sum(s.sales) as sales, sum(s.customers)::int as customers, count(*) filter (where s.open)::int as open_days
    from store_daily_sales s join stores st on st.id = s.store_id
    where ${store} and s.day >= (${from}::timestamptz - interval '1 day')::date and s.day <= (${to}::timestamptz + interval '1 day')::date
      and (s.day::timestamp at time zone st.timezone) >= ${from} and (s.day::timestamp at time zone st.timezone) < ${to}
    group by 1`.execute(trx);
  return new Map(r.rows.map((x) => [x.currency, { sales: Number(x.sales ?? 0), customers: x.customers ?? 0, open_days: x.open_days }]));
}

/** The reported figures of both periods, per currency (null: stores with no currency, as Rossmann's). */
function reportedGroups(now: Map<string | null, Reported>, prev: Map<string | null, Reported>): Schemas['ReportedKpis'][] {
  const zero: Reported = { sales: 0, customers: 0, open_days: 0 };
  const currencies = [...new Set([...now.keys(), ...prev.keys()])].sort((x, y) => (x ?? '').localeCompare(y ?? ''));
  return currencies.map((c) => {
    const a = now.get(c) ?? zero;
    const b = prev.get(c) ?? zero;
    return { currency: c, sales: numberKpi(a.sales, b.sales, 2), customers: numberKpi(a.customers, b.customers), open_days: numberKpi(a.open_days, b.open_days) };
  });
}

const pct = (v: number, p: number): number | null => (p === 0 ? null : Math.round(((v - p) / p) * 10_000) / 100);

function numberKpi(v: number, p: number, digits = 0): Schemas['NumberKpi'] {
  const f = 10 ** digits;
  const round = (x: number) => Math.round(x * f) / f;
  return { value: round(v), previous: round(p), change: round(v - p), change_pct: pct(v, p) };
}

function moneyKpi(v: bigint, p: bigint, currency: string): Schemas['MoneyKpi'] {
  return { value: formatMoney(v, currency), previous: formatMoney(p, currency), change: formatMoney(v - p, currency), change_pct: pct(Number(v), Number(p)) };
}

const keyOf = (t: { currency: string; store_id: string | null; channel: string | null }) => `${t.currency}|${t.store_id ?? ''}|${t.channel ?? ''}`;

async function periodTotals(trx: Trx, q: KpiQuery, from: Date, to: Date, tz: string): Promise<Map<string, Totals>> {
  const [sales, customers] = await Promise.all([salesTotals(trx, q, from, to, tz), customerTotals(trx, q, from, to)]);
  const out = new Map<string, Totals>();
  for (const s of sales) out.set(keyOf(s), { ...s, customers: 0, new_customers: 0 });
  for (const c of customers) {
    const cur = out.get(keyOf(c)) ?? { currency: c.currency, store_id: c.store_id, channel: c.channel, orders: 0, gross: '0', units: 0, refunds: '0', customers: 0, new_customers: 0 };
    out.set(keyOf(c), { ...cur, customers: c.customers, new_customers: c.new_customers });
  }
  return out;
}

function group(now: Totals | undefined, prev: Totals | undefined): Schemas['KpiGroup'] {
  const base = (now ?? prev) as Totals;
  const c = base.currency;
  const zero: Totals = { ...base, orders: 0, gross: '0', units: 0, refunds: '0', customers: 0, new_customers: 0 };
  const a = now ?? zero;
  const b = prev ?? zero;
  const [ga, gb, ra, rb] = [toUnits(a.gross), toUnits(b.gross), toUnits(a.refunds), toUnits(b.refunds)];
  const rate = (r: bigint, g: bigint) => (g === 0n ? 0 : Number(r) / Number(g));
  return {
    currency: c,
    store_id: base.store_id,
    channel: base.channel,
    gross_revenue: moneyKpi(ga, gb, c),
    net_revenue: moneyKpi(ga - ra, gb - rb, c),
    refunds: moneyKpi(ra, rb, c),
    orders: numberKpi(a.orders, b.orders),
    units: numberKpi(a.units, b.units),
    average_order_value: moneyKpi(divide(ga, a.orders), divide(gb, b.orders), c),
    customers: numberKpi(a.customers, b.customers),
    new_customers: numberKpi(a.new_customers, b.new_customers),
    returning_customers: numberKpi(a.customers - a.new_customers, b.customers - b.new_customers),
    refund_rate: numberKpi(rate(ra, ga), rate(rb, gb), 4),
  };
}

/** The KPIs of a period and of the previous period of equal length, per currency (and breakdown). */
export async function computeKpis(trx: Trx, q: KpiQuery): Promise<Schemas['KpiReport']> {
  const range = checkRange(q.from, q.to, MAX_KPI_DAYS);
  const from = new Date(range.from);
  const to = new Date(range.to);
  const prevFrom = new Date(range.from - (range.to - range.from));
  if (prevFrom.getTime() < YEAR_ONE) throw badRequest('The previous period would start before year 1.', [{ name: 'query.from', reason: 'leaves no room for the previous period' }]);
  const tz = await zoneOf(trx, q.storeId);
  const [now, prev] = [await periodTotals(trx, q, from, to, tz), await periodTotals(trx, q, prevFrom, from, tz)];
  const keys = [...new Set([...now.keys(), ...prev.keys()])].sort();
  // Stores report days, not channels or breakdowns: reported figures only for the plain question.
  const byCurrency = q.channel === null && q.groupBy === null ? reportedGroups(await reportedTotals(trx, q, from, to), await reportedTotals(trx, q, prevFrom, from)) : [];
  const single = byCurrency.length === 1 ? byCurrency[0] : undefined;
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    previous_from: prevFrom.toISOString(),
    previous_to: from.toISOString(),
    groups: keys.map((k) => group(now.get(k), prev.get(k))),
    reported: single ? { sales: single.sales, customers: single.customers, open_days: single.open_days } : null,
    reported_by_currency: byCurrency,
  };
}
