/**
 * Baseline-versus-candidate comparisons: runs alternate (baseline, candidate, baseline, ...) so
 * that drift on a shared, noisy machine hits both alike, and the table reports each run and the
 * medians, with candidate ÷ baseline throughput as the ratio.
 */
import { num, printTable, ratioCell } from './format.ts';
import { median, ratio } from './stats.ts';

/** One measured run: how much was done, how fast, and its latency percentiles in ms. */
export interface RunSample {
  count: number;
  rate: number;
  p50: number;
  p99: number;
}

/** A side of the comparison: its label and how to run it once (`round` counts from 0). */
export interface Side<T extends RunSample> {
  name: string;
  run(round: number): Promise<T>;
}

/** Runs both sides `rounds` times, alternating and baseline first; answers each side's runs in order. */
export async function alternate<T extends RunSample>(rounds: number, baseline: Side<T>, candidate: Side<T>): Promise<{ baseline: T[]; candidate: T[] }> {
  const out = { baseline: [] as T[], candidate: [] as T[] };
  for (let r = 0; r < rounds; r++) {
    out.baseline.push(await baseline.run(r));
    out.candidate.push(await candidate.run(r));
  }
  return out;
}

/** The median of every field of some runs. */
export function medianSample(runs: readonly RunSample[]): RunSample {
  return {
    count: median(runs.map((r) => r.count)),
    rate: median(runs.map((r) => r.rate)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
  };
}

/** Column names: what `count` and `rate` are (e.g. requests, req/s) and what latency is of. */
export interface Labels {
  count: string;
  rate: string;
  latency: string;
}

/** Prints the runs and medians of both sides; answers the ratio of the medians' rates. */
export function printComparison(title: string, labels: Labels, names: { baseline: string; candidate: string }, runs: { baseline: RunSample[]; candidate: RunSample[] }, target: number): number {
  const row = (name: string, s: RunSample, r: string) => [name, num(s.count), num(s.rate, 1), num(s.p50, 1), num(s.p99, 1), r];
  const rows: string[][] = [];
  runs.baseline.forEach((b, i) => {
    rows.push(row(`${names.baseline} #${i + 1}`, b, ''));
    const c = runs.candidate[i];
    if (c) rows.push(row(`${names.candidate} #${i + 1}`, c, num(ratio(c.rate, b.rate), 2)));
  });
  const mb = medianSample(runs.baseline);
  const mc = medianSample(runs.candidate);
  const r = ratio(mc.rate, mb.rate);
  rows.push(row(`${names.baseline} (median)`, mb, ''), row(`${names.candidate} (median)`, mc, ratioCell(r, target)));
  printTable(title, ['case', labels.count, labels.rate, `p50 ${labels.latency}`, `p99 ${labels.latency}`, 'ratio'], rows);
  return r;
}
