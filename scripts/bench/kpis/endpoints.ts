/** The two endpoints under test, called as a client would (keep-alive fetch, body read and parsed). */
import type { components } from '../../../generated/api.ts';

/** `GET /kpis` answers this. */
export type KpiReport = components['schemas']['KpiReport'];
/** `GET /sales/timeseries` answers this. */
export type SalesSeries = components['schemas']['SalesSeries'];

/** An answer with its ETag and how long it took, in ms. */
export interface Timed<T> {
  ms: number;
  body: T;
  etag: string | null;
}

async function getJson<T>(url: string, apiKey: string): Promise<Timed<T>> {
  const started = performance.now();
  const res = await fetch(url, { headers: { 'x-api-key': apiKey, accept: 'application/json' } });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return { ms, body: JSON.parse(text) as T, etag: res.headers.get('etag') };
}

/** One store's gross revenue over `[from, to)` by local day (or month). */
export function getSeries(api: string, apiKey: string, storeId: string, from: string, to: string, bucket: 'day' | 'month' = 'day'): Promise<Timed<SalesSeries>> {
  const q = new URLSearchParams({ metric: 'gross_revenue', bucket, from, to, store_id: storeId });
  return getJson<SalesSeries>(`${api}/sales/timeseries?${q.toString()}`, apiKey);
}

/** The all-stores KPIs of `[from, to)` (and the previous period). */
export function getKpis(api: string, apiKey: string, from: string, to: string): Promise<Timed<KpiReport>> {
  const q = new URLSearchParams({ from, to });
  return getJson<KpiReport>(`${api}/kpis?${q.toString()}`, apiKey);
}

/**
 * The UTC instant `iso` (…T00:00:00Z) written in another offset, the `n`-th of 105 (-12:00 to
 * +14:00 by quarter hours), with a fraction from n ≥ 105: the same instant, so the same question
 * and answer, but a different query string, which the answer cache keys on. That is how a KPI run
 * misses the cache without flushing it (and works with in-process stores, which cannot be flushed).
 */
export function respell(iso: string, n: number): string {
  const offsetMin = -720 + (n % 105) * 15;
  const local = new Date(Date.parse(iso) + offsetMin * 60_000).toISOString().slice(0, 19);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const fraction = n >= 105 ? `.${'0'.repeat(1 + Math.floor(n / 105))}` : '';
  return `${local}${fraction}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
