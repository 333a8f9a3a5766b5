/** The KPI benchmark's tables. */
import { num, printTable, ratioCell } from '../lib/format.ts';
import { median, percentile, ratio } from '../lib/stats.ts';
import type { CopyTiming } from './copy.ts';
import { quarterRates, type ImportTiming } from './import-api.ts';
import type { ActivityProfile } from './profile.ts';
import type { CaseResult } from './timing.ts';

/** The import must run at no less than this share of a plain COPY's speed. */
export const IMPORT_TARGET = 0.3;
/** The endpoints must answer at least this many times faster than the raw aggregate. */
export const QUERY_TARGET = 50;

const rate = (rows: number, ms: number) => rows / (ms / 1000);

/** One setup step and how long it took. */
export interface Step {
  step: string;
  ms: number;
  note: string;
}

/** Prints how the data got there, step by step. */
export function printSteps(steps: readonly Step[]): void {
  printTable('load steps', ['step', 'seconds', 'note'], steps.map((s) => [s.step, num(s.ms / 1000, 1), s.note]));
}

/** Prints the import against the COPY baselines; answers import rows/s ÷ plain COPY rows/s. */
export function printImport(title: string, imp: ImportTiming, rows: number, plain: CopyTiming, indexed: CopyTiming): number {
  const importRate = rate(rows, imp.totalMs);
  const r = ratio(importRate, rate(plain.rows, plain.ms));
  printTable(title, ['case', 'rows', 'seconds', 'rows/s', 'import ÷ this'], [
    ['COPY into a plain table (orders columns, no indexes)', num(plain.rows), num(plain.ms / 1000, 1), num(rate(plain.rows, plain.ms)), ratioCell(r, IMPORT_TARGET)],
    ["COPY into a table with orders' 7 indexes (context)", num(indexed.rows), num(indexed.ms / 1000, 1), num(rate(indexed.rows, indexed.ms)), num(ratio(importRate, rate(indexed.rows, indexed.ms)), 3)],
    ['import API: upload (202 once stored)', num(rows), num(imp.uploadMs / 1000, 1), num(rate(rows, imp.uploadMs)), ''],
    ['import API: upload start → status succeeded', num(rows), num(imp.totalMs / 1000, 1), num(importRate), ''],
  ]);
  process.stdout.write(`  import rows/s by quarter of the file (the job starts after the upload): ${quarterRates(imp, rows).map((q) => num(q)).join(', ')}\n`);
  return r;
}

/** Prints the import's sampled activity and the Tideline process's CPU. */
export function printProfile(p: ActivityProfile, nodeCpuSeconds: number, wallMs: number): void {
  const rows = p.shares.slice(0, 10).map((s) => [s.label, num(s.share * 100, 1)]);
  rows.push(['Tideline process CPU ÷ wall time (all its threads)', num((nodeCpuSeconds / (wallMs / 1000)) * 100, 1)]);
  rows.push(['Postgres CPU of the busy sessions ÷ wall time', num((p.backendCpuSeconds / (wallMs / 1000)) * 100, 1)]);
  rows.push(['machine CPU busy, both cores, every process (others included)', num(p.machineBusy * 100, 1)]);
  printTable(`where the import's time went (${num(p.samples)} samples of pg_stat_activity; a sample may count several sessions)`, ['activity', '% of samples'], rows);
}

/** Prints the query cases; answers the cases whose p50 ratio is below the target. */
export function printQueries(cases: readonly CaseResult[]): string[] {
  const below: string[] = [];
  const rows = cases.map((c) => {
    const r = ratio(median(c.raw), median(c.endpoint));
    if (!(r >= QUERY_TARGET)) below.push(c.name);
    return [c.name, num(c.endpoint.length), num(median(c.endpoint), 1), num(percentile(c.endpoint, 95), 1), num(median(c.raw), 1), num(percentile(c.raw, 95), 1), ratioCell(r, QUERY_TARGET)];
  });
  printTable('endpoint vs raw aggregate (ms; endpoint over HTTP with an API key, raw over one pg connection as the owner)', ['case', 'runs', 'endpoint p50', 'endpoint p95', 'raw p50', 'raw p95', 'raw ÷ endpoint (p50)'], rows);
  for (const c of cases) process.stdout.write(`  ${c.name}: ${c.note}\n`);
  return below;
}
