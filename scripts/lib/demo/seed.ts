/**
 * Fills a tenant with the demo's commerce data: stores, catalogue, orders with customers and
 * lines, refunds and reported daily rows, generated day by day and written in batches, one
 * transaction each, through commerce's write path. Same options, same rows.
 */
import type { CanonicalOrder, CanonicalRefund, WriteContext } from '../../../src/commerce/index.ts';
import type { FieldCipher } from '../../../src/platform/crypto/index.ts';
import type { Db } from '../../../src/platform/db.ts';
import { withTenant } from '../../../src/platform/tenancy.ts';
import { emptyPool, type CustomerPool } from './customers.ts';
import { clearDemoOrders, dropOrphans, existingDemoStores, upsertStores, writeBatch, writeCatalogue, writeDailyRows } from './db.ts';
import { DEMO_SHIFTS, planDay, type DemoShift } from './demand.ts';
import { generateStoreDay, type DailyRow } from './orders.ts';
import { demoStores, type DemoStore } from './stores.ts';
import { dayNumber, isoDay } from './time.ts';

/** What to generate. */
export interface SeedOptions {
  seed: number;
  /** First day, YYYY-MM-DD (store-local). */
  from: string;
  days: number;
  stores: number;
  /** Multiplies every store's mean daily orders: the volume knob. */
  scale: number;
  /** Clear the demo stores' earlier orders first, so a run with other options leaves nothing behind. */
  replace: boolean;
  /** Orders per transaction. */
  batchSize: number;
}

/**
 * The defaults of `scripts/seed-demo.ts`. Scale 1 is the full volume (40–80 orders per store-day),
 * but every order goes through commerce's write path and its rollup refresh, about 1,400 orders a
 * second on a 2-core machine: the default is 8 stores at half volume (~126k orders, about two
 * minutes). `--stores 12 --scale 1` gives the full ~340k in about four minutes.
 */
export const SEED_DEFAULTS: SeedOptions = { seed: 42, from: '2025-01-01', days: 456, stores: 8, scale: 0.5, replace: false, batchSize: 1000 };

/** Where a run has got to, after each batch. */
export interface SeedProgress {
  orders: number;
  refunds: number;
  /** The last day fully generated. */
  throughDay: string;
  /** The expected number of orders of the whole run (the sum of the daily means). */
  expectedOrders: number;
  elapsedMs: number;
}

/** What a run wrote. */
export interface SeedSummary {
  stores: DemoStore[];
  orders: number;
  refunds: number;
  products: number;
  dailyRows: number;
  from: string;
  to: string;
  /** The planted shifts of the seeded stores, and whether each falls inside the range. */
  shifts: (DemoShift & { inRange: boolean })[];
  /** With `replace`: the earlier orders removed, and the customers and products of earlier runs dropped. */
  replaced: { orders: number; customers: number; products: number } | null;
  elapsedMs: number;
}

/** The platform pieces seeding needs: the app-role database and the field cipher. */
export interface SeedDeps {
  db: Db;
  cipher: FieldCipher;
  /** Refreshes the planner statistics of the commerce tables (needs the owner role); given, batches also prefer index joins (see `preferIndexJoins`). */
  analyze?: () => Promise<void>;
}

// The catalogue's fixed last-modified time: products do not depend on the seed or the range.
const CATALOGUE_UPDATED_AT = '2024-12-01T00:00:00.000Z';

/** Generates and writes the demo data into one tenant; `onProgress` hears after every batch. */
export async function seedDemoData(deps: SeedDeps, tenantId: string, opts: SeedOptions, onProgress?: (p: SeedProgress) => void): Promise<SeedSummary> {
  const started = Date.now();
  const stores = demoStores(opts.stores);
  const ctx: WriteContext = { tenantId, sourceId: null, storeId: null, cipher: deps.cipher };
  const first = dayNumber(opts.from);
  const last = first + opts.days - 1;
  const { storeIds, catalogue, cleared } = await withTenant(deps.db, tenantId, async (trx) => {
    const cleared = opts.replace ? await clearDemoOrders(trx, await existingDemoStores(trx)) : 0;
    return { storeIds: await upsertStores(trx, tenantId, stores), catalogue: await writeCatalogue(trx, ctx, stores, CATALOGUE_UPDATED_AT), cleared };
  });
  let expectedOrders = 0;
  for (let day = first; day <= last; day++) for (const s of stores) expectedOrders += planDay(opts.seed, s, day, opts.scale).meanOrders;

  // One writer, one transaction at a time: every write also refreshes the tenant-wide rollup rows
  // of its buckets, so concurrent writers in one tenant would only queue behind each other.
  const totals = { orders: 0, refunds: 0, dailyRows: 0 };
  await writeStores(deps, ctx, storeIds, opts, stores, first, last, (batch) => {
    totals.orders += batch.orders;
    totals.refunds += batch.refunds;
    totals.dailyRows += batch.dailyRows;
    onProgress?.({ ...totals, throughDay: isoDay(batch.throughDay), expectedOrders: Math.round(expectedOrders), elapsedMs: Date.now() - started });
  });

  const orphans = opts.replace ? await withTenant(deps.db, tenantId, (trx) => dropOrphans(trx, catalogue)) : null;
  const seeded = new Set(stores.map((s) => s.externalId));
  return {
    stores, orders: totals.orders, refunds: totals.refunds, products: catalogue.length, dailyRows: totals.dailyRows, from: isoDay(first), to: isoDay(last),
    shifts: DEMO_SHIFTS.filter((s) => seeded.has(s.store)).map((s) => ({ ...s, inRange: dayNumber(s.from) > first && dayNumber(s.from) <= last })),
    replaced: orphans ? { orders: cleared, ...orphans } : null,
    elapsedMs: Date.now() - started,
  };
}

// Before autovacuum first analyzes a new table the planner believes it nearly empty; analyzing as
// the tables double keeps its picture of them right while they grow fast.
const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** What one written batch added, and the last day it completes. */
interface BatchDone {
  orders: number;
  refunds: number;
  dailyRows: number;
  throughDay: number;
}

/** Generates the stores day by day and writes `batchSize` orders per transaction. */
async function writeStores(deps: SeedDeps, ctx: WriteContext, storeIds: ReadonlyMap<string, string>, opts: SeedOptions, stores: readonly DemoStore[], first: number, last: number, done: (b: BatchDone) => void): Promise<void> {
  const pools = new Map<string, CustomerPool>(stores.map((s) => [s.externalId, emptyPool()]));
  let orders: CanonicalOrder[] = [];
  let refunds: CanonicalRefund[] = [];
  let daily: DailyRow[] = [];
  let batches = 0;
  // Writes the first `batchSize` pending orders (everything with `all`) with their refunds, and the pending daily rows.
  const flush = async (all: boolean, throughDay: number) => {
    while (orders.length >= opts.batchSize || (all && (orders.length > 0 || daily.length > 0))) {
      const batch = orders.slice(0, opts.batchSize);
      const ids = new Set(batch.map((o) => o.externalId));
      const mine = (r: CanonicalRefund) => ids.has(r.orderExternalId ?? '');
      const batchRefunds = refunds.filter(mine);
      const rows = daily;
      orders = orders.slice(batch.length);
      refunds = refunds.filter((r) => !mine(r));
      daily = [];
      await withTenant(deps.db, ctx.tenantId, async (trx) => {
        await writeBatch(trx, ctx, batch, batchRefunds);
        await writeDailyRows(trx, ctx.tenantId, storeIds, rows);
      });
      batches++;
      if (deps.analyze && isPowerOfTwo(batches)) await deps.analyze();
      done({ orders: batch.length, refunds: batchRefunds.length, dailyRows: rows.length, throughDay });
    }
  };
  for (let day = first; day <= last; day++) {
    for (const s of stores) {
      const g = generateStoreDay(opts.seed, s, day, planDay(opts.seed, s, day, opts.scale), pools.get(s.externalId) ?? emptyPool());
      orders.push(...g.orders);
      refunds.push(...g.refunds);
      daily.push(g.daily);
    }
    // A batch may end mid-day: the day's remaining orders go first in the next one.
    await flush(false, day - 1);
  }
  await flush(true, last);
}
