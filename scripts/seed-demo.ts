/**
 * Fills a tenant (by default the `demo` one `npm start` creates) with a deterministic year and
 * more of commerce data: stores, catalogue, orders, refunds, daily store rows and their rollups.
 *
 *   node scripts/seed-demo.ts [--tenant demo] [--seed 42] [--from 2025-01-01] [--days 456]
 *     [--stores 8] [--scale 0.5] [--replace]
 *
 * Same options, same rows (external ids, amounts, times). Re-running is idempotent (upserts on
 * external ids); `--replace` first clears the demo stores' orders, for a run with another seed,
 * range or volume. Progress goes to stderr, the summary to stdout.
 */
import { parseArgs } from 'node:util';
import { runWithPlatform } from './lib/operator.ts';
import { sql } from 'kysely';
import { invalidateTenantAnswers } from '../src/commerce/index.ts';
import { findTenantIdBySlug } from '../src/identity/queries.ts';
import { parseDay } from '../src/ingestion/imports/calendar.ts';
import { createDb } from '../src/platform/db.ts';
import type { RunningPlatform } from '../src/platform/runtime.ts';
import { SEED_DEFAULTS, seedDemoData, type SeedOptions, type SeedProgress, type SeedSummary } from './lib/demo/seed.ts';

const USAGE = 'usage: node scripts/seed-demo.ts [--tenant demo] [--seed 42] [--from 2025-01-01] [--days 456] [--stores 8] [--scale 0.5] [--replace]';
// A progress line at most this often: every few batches on this machine.
const PROGRESS_EVERY_MS = 5000;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(1);
}

function options(): { tenant: string; opts: SeedOptions } {
  let values;
  try {
    ({ values } = parseArgs({
      strict: true,
      options: {
        tenant: { type: 'string', default: 'demo' }, seed: { type: 'string' }, from: { type: 'string' }, days: { type: 'string' },
        stores: { type: 'string' }, scale: { type: 'string' }, replace: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const int = (name: string, v: string | undefined, fallback: number, lo: number, hi: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi) fail(`--${name} must be an integer from ${lo} to ${hi}`);
    return n;
  };
  const from = values.from ?? SEED_DEFAULTS.from;
  if (!parseDay(from)) fail('--from must be a day, YYYY-MM-DD');
  const scale = values.scale === undefined ? SEED_DEFAULTS.scale : Number(values.scale);
  if (!(scale > 0 && scale <= 20)) fail('--scale must be a number above 0, at most 20');
  return {
    tenant: values.tenant,
    opts: {
      ...SEED_DEFAULTS, from, scale, replace: values.replace,
      seed: int('seed', values.seed, SEED_DEFAULTS.seed, 0, 2 ** 32 - 1),
      days: int('days', values.days, SEED_DEFAULTS.days, 1, 3660),
      stores: int('stores', values.stores, SEED_DEFAULTS.stores, 1, 999),
    },
  };
}

const n = (x: number): string => x.toLocaleString('en-US');
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function progress(p: SeedProgress): void {
  const rate = p.orders / Math.max(p.elapsedMs / 1000, 0.001);
  process.stderr.write(`  ${n(p.orders)} of ~${n(p.expectedOrders)} orders (through ${p.throughDay}), ${n(p.refunds)} refunds, ${secs(p.elapsedMs)}, ${n(Math.round(rate))} orders/s\n`);
}

function summary(slug: string, tenantId: string, o: SeedOptions, s: SeedSummary): string {
  const storeDays = s.stores.length * o.days;
  const lines = [
    `seeded tenant ${slug} (${tenantId}) with seed ${o.seed} in ${secs(s.elapsedMs)}`,
    `  range    ${s.from} .. ${s.to} (${o.days} days, store-local)`,
    `  volume   ${s.stores.length} stores × ${o.days} days, scale ${o.scale}: ${n(s.orders)} orders (${(s.orders / storeDays).toFixed(1)} per store-day), ${n(s.refunds)} refunds, ${n(s.dailyRows)} daily store rows, ${n(s.products)} products`,
    ...(s.replaced ? [`  replaced ${n(s.replaced.orders)} earlier orders; dropped ${n(s.replaced.customers)} customers and ${n(s.replaced.products)} products no longer in the data`] : []),
    '  stores',
    ...s.stores.map((x) => `    ${x.externalId}  ${x.name.padEnd(26)} type ${x.storeType} assortment ${x.assortment}  ${x.currency} ${x.timezone}`),
    '  planted level shifts (DEMO_SHIFTS, for regime detection)',
    ...(s.shifts.length === 0 ? ['    none among the seeded stores'] : s.shifts.map((x) => `    ${x.store} from ${x.from}: ×${x.factor.toFixed(2)} (${x.factor > 1 ? '+' : ''}${Math.round((x.factor - 1) * 100)}%) ${x.why}${x.inRange ? '' : ' [outside the seeded range]'}`)),
    s.replaced ? '' : 'Re-running with the same options rewrites the same rows (upserts on external ids); add --replace when changing the seed, range or volume.',
  ];
  return `${lines.join('\n')}\n`;
}

async function seed(platform: RunningPlatform, tenant: string, opts: SeedOptions): Promise<void> {
  const tenantId = await platform.db.transaction().execute((trx) => findTenantIdBySlug(trx, tenant));
  if (!tenantId) throw new Error(`no tenant with slug "${tenant}": run \`npm start\` once first (it creates "demo" on the embedded database), or create it with scripts/create-tenant.ts`);
  process.stderr.write(`seeding ${opts.stores} stores × ${opts.days} days from ${opts.from} into tenant ${tenant} (seed ${opts.seed}, scale ${opts.scale}${opts.replace ? ', replacing earlier demo orders' : ''})\n`);
  // Only the tables' owner may ANALYZE; the app role writes everything else.
  const owner = createDb(platform.ownerUrl, 1, 'tideline-seed-demo');
  const analyze = async () => {
    await sql`analyze orders, order_lines, refunds, customers, sales_hourly, sales_daily`.execute(owner);
  };
  let lastShown = 0;
  try {
    const s = await seedDemoData({ db: platform.db, cipher: platform.cipher, analyze }, tenantId, opts, (p) => {
      if (p.elapsedMs - lastShown < PROGRESS_EVERY_MS) return;
      lastShown = p.elapsedMs;
      progress(p);
    });
    // A running server may hold KPI answers of this tenant computed before the seed.
    await invalidateTenantAnswers(platform.stores, tenantId);
    process.stdout.write(summary(tenant, tenantId, opts, s));
  } finally {
    await owner.destroy();
  }
}

const { tenant, opts } = options();
await runWithPlatform((platform) => seed(platform, tenant, opts));
