/**
 * The timed query cases: each endpoint answer against the raw aggregate of the same question, run
 * by run in alternating order (so drift on a noisy machine hits both), every answer checked.
 */
import type pg from 'pg';
import { median } from '../lib/stats.ts';
import { kpiDiff, seriesDiff } from './agree.ts';
import { getKpis, getSeries, respell } from './endpoints.ts';
import { rawDailySeries, rawKpis } from './raw.ts';

/** What the cases run against. */
export interface QueryContext {
  api: string;
  apiKey: string;
  owner: pg.Client;
  tenantId: string;
  warmup: number;
}

/** A store with its local year. */
export interface StoreYear {
  id: string;
  timezone: string;
  from: string;
  to: string;
}

/** One case's samples (ms) and the disagreements found. */
export interface CaseResult {
  name: string;
  endpoint: number[];
  raw: number[];
  note: string;
  problems: string[];
}

// Times `fn` in ms.
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

// Runs the pair in the order of the round's parity; answers both.
async function pair<A, B>(round: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  if (round % 2 === 0) {
    const x = await a();
    return [x, await b()];
  }
  const y = await b();
  return [await a(), y];
}

/**
 * A one-year daily series per store: `cold`, a store not asked for before in each run (the cache
 * misses; the raw side reads that store's orders); warm, the first store again and again.
 */
export async function seriesCase(ctx: QueryContext, stores: readonly StoreYear[], runs: number, cold: boolean): Promise<CaseResult> {
  const out: CaseResult = { name: `one-year daily series, one store, ${cold ? 'cold (a new store each run)' : 'warm (same store: cache hit)'}`, endpoint: [], raw: [], note: '', problems: [] };
  const etags = new Set<string | null>();
  const months: number[] = [];
  for (let i = 0; i < ctx.warmup + runs; i++) {
    // Warm runs all ask for the store the cold case warmed up on first.
    const s = stores[cold ? i : 0] as StoreYear;
    const [api, raw] = await pair(
      i,
      () => getSeries(ctx.api, ctx.apiKey, s.id, s.from, s.to),
      () => timed(() => rawDailySeries(ctx.owner, ctx.tenantId, s.id, s.from, s.to)),
    );
    for (const p of seriesDiff(api.body, raw.value)) out.problems.push(`store ${s.id} (${s.timezone}): ${p}`);
    if (!cold) etags.add(api.etag);
    // The same store and year by month reads the same rollup rows but makes 12 points instead of 365.
    const monthly = cold ? await getSeries(ctx.api, ctx.apiKey, s.id, s.from, s.to, 'month') : null;
    if (i < ctx.warmup) continue;
    out.endpoint.push(api.ms);
    out.raw.push(raw.ms);
    if (monthly) months.push(monthly.ms);
  }
  if (!cold && etags.size !== 1) out.problems.push(`the same series came back with ${etags.size} different ETags`);
  const zones = new Set(stores.slice(0, cold ? ctx.warmup + runs : 1).map((s) => s.timezone));
  const agreed = out.problems.length === 0 ? 'every answer matched the raw aggregate day by day' : `${out.problems.length} disagreement(s), see the FAIL lines`;
  out.note = `${zones.size} time zone(s); ${agreed}`;
  if (cold) out.note += `; the same stores and years by month (12 points, the same rollup rows read), cold: endpoint p50 ${median(months).toFixed(1)} ms`;
  return out;
}

/**
 * The all-stores KPIs of the year: `cold`, the same instants spelled with another UTC offset each
 * run (same question and answer, a new cache key: a miss); warm, one spelling again and again.
 * The raw aggregate has no cache: the warm case reuses the cold case's raw samples when given.
 */
export async function kpiCase(ctx: QueryContext, from: string, to: string, runs: number, cold: boolean, rawSamples: readonly number[] = []): Promise<CaseResult> {
  const out: CaseResult = { name: `all-stores KPIs, one year vs previous, ${cold ? 'cold (cache miss each run)' : 'warm (cache hit)'}`, endpoint: [], raw: [], note: '', problems: [] };
  const etags = new Set<string | null>();
  const reuse = !cold && rawSamples.length > 0;
  for (let i = 0; i < ctx.warmup + runs; i++) {
    const spelling = cold ? i : 0;
    const endpoint = () => getKpis(ctx.api, ctx.apiKey, respell(from, spelling), respell(to, spelling));
    if (reuse) {
      const api = await endpoint();
      etags.add(api.etag);
      if (i >= ctx.warmup) out.endpoint.push(api.ms);
      continue;
    }
    const [api, raw] = await pair(i, endpoint, () => timed(() => rawKpis(ctx.owner, ctx.tenantId, from, to)));
    etags.add(api.etag);
    // One comparison is enough: the ETag check below says every other answer was the same.
    if (i === 0) out.problems.push(...kpiDiff(api.body, raw.value));
    if (i < ctx.warmup) continue;
    out.endpoint.push(api.ms);
    out.raw.push(raw.ms);
  }
  if (reuse) out.raw = [...rawSamples];
  if (etags.size !== 1) out.problems.push(`the same KPIs came back with ${etags.size} different ETags`);
  const agreed = out.problems.length === 0 ? 'answers matched the raw aggregate (orders, units, gross, refunds, customers, new customers; both periods)' : `${out.problems.length} disagreement(s), see the FAIL lines`;
  out.note = reuse ? `raw samples: those of the cold case (the raw aggregate has no cache); ${out.problems.length === 0 ? 'one ETag throughout' : agreed}` : agreed;
  return out;
}
