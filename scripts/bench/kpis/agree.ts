/** Checks that an endpoint and its raw aggregate gave the same answer: a fast wrong answer is no win. */
import type { KpiReport, SalesSeries } from './endpoints.ts';
import type { RawDay, RawKpis } from './raw.ts';

// Money comes back rounded to the currency's digits (series values as JSON numbers): half a cent apart at most.
const close = (a: number, b: number) => Math.abs(a - b) < 0.006;

/** The differences between a series answer and the raw rows (empty when they agree); at most a few named. */
export function seriesDiff(api: SalesSeries, raw: readonly RawDay[]): string[] {
  const problems: string[] = [];
  const rawCurrencies = [...new Set(raw.map((r) => r.currency))].sort();
  const apiSeries = api.series.filter((s) => s.currency !== null || s.points.some((p) => !p.filled));
  const apiCurrencies = apiSeries.map((s) => s.currency ?? '').sort();
  if (rawCurrencies.join() !== apiCurrencies.join()) return [`currencies: endpoint ${apiCurrencies.join() || '(none)'}, raw ${rawCurrencies.join() || '(none)'}`];
  for (const s of apiSeries) {
    const days = raw.filter((r) => r.currency === s.currency);
    if (days.length !== s.points.length) problems.push(`${s.currency}: endpoint ${s.points.length} days, raw ${days.length}`);
    s.points.forEach((p, i) => {
      const d = days[i];
      if (d && (d.day !== p.start.slice(0, 10) || !close(p.value, Number(d.gross)))) problems.push(`${s.currency} ${p.start}: endpoint ${p.value}, raw ${d.day} ${d.gross}`);
    });
  }
  return problems.slice(0, 5);
}

/** The differences between a KPI report and the raw figures (empty when they agree). */
export function kpiDiff(api: KpiReport, raw: readonly RawKpis[]): string[] {
  const problems: string[] = [];
  const currencies = [...new Set(raw.map((r) => r.currency))].sort();
  const groups = api.groups.map((g) => g.currency).sort();
  if (currencies.join() !== groups.join()) return [`currencies: endpoint ${groups.join()}, raw ${currencies.join()}`];
  for (const r of raw) {
    const g = api.groups.find((x) => x.currency === r.currency);
    if (!g) continue;
    const side = r.current ? 'value' : 'previous';
    const pairs: [string, number, number][] = [
      ['orders', g.orders[side], r.orders],
      ['units', g.units[side], r.units],
      ['gross_revenue', Number(g.gross_revenue[side]), Number(r.gross)],
      ['refunds', Number(g.refunds[side]), Number(r.refunds)],
      ['customers', g.customers[side], r.customers],
      ['new_customers', g.new_customers[side], r.new_customers],
    ];
    for (const [name, a, b] of pairs) if (!close(a, b)) problems.push(`${r.currency} ${name} (${side}): endpoint ${a}, raw ${b}`);
  }
  return problems;
}

/** The orders of one period over every currency group, for the printed summary. */
export function totalOrders(api: KpiReport, side: 'value' | 'previous'): number {
  return api.groups.reduce((n, g) => n + g.orders[side], 0);
}
