import { sql } from 'kysely';
import type { Trx } from '../platform/db.ts';
import { badRequest, notFound } from '../platform/errors.ts';
import { checkRange } from '../platform/time-range.ts';
import { ALL_STORES } from './rollups.ts';
import './tables.ts';

export type SeriesMetric = 'gross_revenue' | 'net_revenue' | 'refunds' | 'orders' | 'units' | 'reported_sales' | 'reported_customers';
export type Bucket = 'hour' | 'day' | 'week' | 'month';

/** What a series is of: one store (its time zone) or the whole tenant (the tenant's). */
export interface SeriesQuery {
  storeId: string | null;
  metric: SeriesMetric;
  bucket: Bucket;
  from: string;
  to: string;
}

/** One bucket: its local start with offset, the value, and whether it had no data. */
export interface SeriesPoint {
  start: string;
  /** The bucket's start as an instant, for callers that compute on the series (forecasting). */
  at: Date;
  value: number;
  filled: boolean;
}

/** A series per currency for money metrics; one with currency null for counts. */
export interface SeriesResult {
  metric: SeriesMetric;
  bucket: Bucket;
  timezone: string;
  from: string;
  to: string;
  series: { currency: string | null; points: SeriesPoint[] }[];
}

/** Beyond this a series is not a chart or a model input any more, only a slow answer. */
export const MAX_POINTS = 10_000;
const BUCKET_MS: Record<Bucket, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000, month: 28 * 86_400_000 };
const MONEY: readonly SeriesMetric[] = ['gross_revenue', 'net_revenue', 'refunds'];

const VALUE: Record<Exclude<SeriesMetric, 'reported_sales' | 'reported_customers'>, string> = {
  gross_revenue: 'sum(gross)',
  net_revenue: 'sum(gross) - sum(refunds)',
  refunds: 'sum(refunds)',
  orders: 'sum(orders)',
  units: 'sum(units)',
};

// Building an Intl.DateTimeFormat costs far more than formatting with one: one per zone, reused.
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' });
    formats.set(timeZone, f);
  }
  return f;
}

/** The local wall time of an instant in a zone, with its UTC offset: 2026-03-01T00:00:00+01:00. */
export function localIso(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(formatFor(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
  const offset = (parts.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** The time zone a query is read in: the store's, or the tenant's; a store of no one's (or another tenant's) is a 404. */
export async function zoneOf(trx: Trx, storeId: string | null): Promise<string> {
  if (storeId) {
    const s = await trx.selectFrom('stores').select('timezone').where('id', '=', storeId).executeTakeFirst();
    if (!s) throw notFound('store');
    return s.timezone;
  }
  const t = await sql<{ timezone: string }>`select timezone from tenants where id = current_setting('app.tenant_id')::uuid`.execute(trx);
  return t.rows[0]?.timezone ?? 'UTC';
}

/** The bucket starts covering `[from, to)`: UTC hours, or local days, ISO weeks or months as instants. */
async function bucketStarts(trx: Trx, q: SeriesQuery, tz: string): Promise<{ at: Date; key: string }[]> {
  const r =
    q.bucket === 'hour'
      ? await sql<{ at: Date; key: string }>`
          select gs as at, to_char(gs at time zone 'UTC', 'YYYY-MM-DD"T"HH24') as key
          from generate_series(date_trunc('hour', ${q.from}::timestamptz, 'UTC'), ${q.to}::timestamptz - interval '1 microsecond', interval '1 hour') gs`.execute(trx)
      : await sql<{ at: Date; key: string }>`
          select gs at time zone ${tz} as at, to_char(gs, 'YYYY-MM-DD') as key
          from generate_series(date_trunc(${q.bucket}, ${q.from}::timestamptz at time zone ${tz}), (${q.to}::timestamptz at time zone ${tz}) - interval '1 microsecond', ${`1 ${q.bucket}`}::interval) gs`.execute(trx);
  return r.rows;
}

/** The values per bucket key (and currency for money). */
async function bucketValues(trx: Trx, q: SeriesQuery, first: string, last: string): Promise<{ key: string; currency: string | null; value: string | number }[]> {
  const money = MONEY.includes(q.metric);
  if (q.metric === 'reported_sales' || q.metric === 'reported_customers') {
    const col = sql.ref(q.metric === 'reported_sales' ? 'sales' : 'customers');
    // Reported sales are in each store's currency: one series per currency, never summed across.
    const cur = q.metric === 'reported_sales' ? sql`st.currency` : sql`null::text`;
    const r = await sql<{ key: string; currency: string | null; value: string }>`
      select to_char(date_trunc(${q.bucket}, s.day::timestamp), 'YYYY-MM-DD') as key, ${cur} as currency, sum(s.${col}) as value
      from store_daily_sales s join stores st on st.id = s.store_id
      where s.day >= ${first}::date and s.day <= ${last}::date + ${`1 ${q.bucket}`}::interval - interval '1 day' ${q.storeId ? sql`and s.store_id = ${q.storeId}` : sql``}
      group by 1, 2`.execute(trx);
    return r.rows;
  }
  const value = sql.raw(VALUE[q.metric]);
  const store = q.storeId ?? ALL_STORES;
  const cur = money ? sql`currency` : sql`null::text`;
  const r =
    q.bucket === 'hour'
      ? await sql<{ key: string; currency: string | null; value: string }>`
          select to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24') as key, ${cur} as currency, ${value} as value
          from sales_hourly where store_id = ${store} and hour >= ${first}::timestamptz and hour <= ${last}::timestamptz group by 1, 2`.execute(trx)
      : await sql<{ key: string; currency: string | null; value: string }>`
          select to_char(date_trunc(${q.bucket}, day::timestamp), 'YYYY-MM-DD') as key, ${cur} as currency, ${value} as value
          from sales_daily where store_id = ${store} and day >= ${first}::date and day <= ${last}::date + ${`1 ${q.bucket}`}::interval - interval '1 day' group by 1, 2`.execute(trx);
  return r.rows;
}

/**
 * A sales series in local buckets, zero-filled: the one function the API, forecasting and regime
 * detection all read, so they agree on what a day of sales is.
 */
export async function salesSeries(trx: Trx, q: SeriesQuery): Promise<SeriesResult> {
  const range = checkRange(q.from, q.to, 3660);
  if (q.bucket === 'hour' && q.metric.startsWith('reported_')) throw badRequest('Reported figures are daily.', [{ name: 'query.bucket', reason: `${q.metric} needs day, week or month buckets` }]);
  if ((range.to - range.from) / BUCKET_MS[q.bucket] > MAX_POINTS) {
    throw badRequest(`The series would have more than ${MAX_POINTS} points.`, [{ name: 'query.bucket', reason: `too fine for the range: at most ${MAX_POINTS} points` }]);
  }
  const tz = await zoneOf(trx, q.storeId);
  const starts = await bucketStarts(trx, q, tz);
  const firstKey = starts[0]?.key ?? '';
  const lastKey = starts[starts.length - 1]?.key ?? '';
  const first = q.bucket === 'hour' ? `${firstKey}:00:00Z` : firstKey;
  const last = q.bucket === 'hour' ? `${lastKey}:00:00Z` : lastKey;
  const rows = starts.length === 0 ? [] : await bucketValues(trx, q, first, last);
  const currencies = [...new Set(rows.map((r) => r.currency))];
  const byCurrency = currencies.length > 0 ? currencies : [null];
  return {
    metric: q.metric,
    bucket: q.bucket,
    timezone: tz,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    series: byCurrency.map((currency) => {
      const values = new Map(rows.filter((r) => r.currency === currency).map((r) => [r.key, Number(r.value)]));
      return {
        currency,
        points: starts.map((s) => ({ start: localIso(s.at, tz), at: s.at, value: values.get(s.key) ?? 0, filled: !values.has(s.key) })),
      };
    }),
  };
}
