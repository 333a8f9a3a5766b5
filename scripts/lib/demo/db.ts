/**
 * The demo's database writes, all as the app role inside the caller's tenant transaction. Orders
 * and refunds go through commerce's own write path, so the rollups are kept exactly as in
 * production; stores and daily rows are plain upserts on their natural keys.
 */
import { sql } from 'kysely';
import type { CanonicalOrder, CanonicalProduct, CanonicalRefund } from '../../../src/commerce/index.ts';
import { applyChanges, writeOrders, writeRefunds, type WriteContext } from '../../../src/commerce/index.ts';
import type { Trx } from '../../../src/platform/db.ts';
import { CATALOGUE, CURRENCIES, formatMoney, priceIn, productExternalId } from './catalogue.ts';
import type { DailyRow } from './orders.ts';
import type { DemoStore } from './stores.ts';

/** Upserts the demo stores (attributes refreshed on a re-run); answers external id to row id. */
export async function upsertStores(trx: Trx, tenantId: string, stores: readonly DemoStore[]): Promise<Map<string, string>> {
  const rows = await trx
    .insertInto('stores')
    .values(stores.map((s) => ({
      tenant_id: tenantId, external_id: s.externalId, name: s.name, store_type: s.storeType, assortment: s.assortment, timezone: s.timezone,
      currency: s.currency, competition_distance: s.competitionDistance, competition_open_since: s.competitionOpenSince, promo2: s.promo2,
      promo2_since: s.promo2Since, promo_interval: s.promoInterval, created_via: 'import' as const,
    })))
    .onConflict((oc) => oc.columns(['tenant_id', 'external_id']).doUpdateSet((eb) => ({
      name: eb.ref('excluded.name'), store_type: eb.ref('excluded.store_type'), assortment: eb.ref('excluded.assortment'), timezone: eb.ref('excluded.timezone'),
      currency: eb.ref('excluded.currency'), competition_distance: eb.ref('excluded.competition_distance'), competition_open_since: eb.ref('excluded.competition_open_since'),
      promo2: eb.ref('excluded.promo2'), promo2_since: eb.ref('excluded.promo2_since'), promo_interval: eb.ref('excluded.promo_interval'), updated_at: sql`now()`,
    })))
    .returning(['id', 'external_id'])
    .execute();
  return new Map(rows.map((r) => [r.external_id, r.id]));
}

/** Upserts the catalogue once per currency the stores use, with a fixed `updatedAt` so a re-run changes nothing; answers the external ids. */
export async function writeCatalogue(trx: Trx, ctx: WriteContext, stores: readonly DemoStore[], updatedAt: string): Promise<string[]> {
  const currencies = [...new Set(stores.map((s) => s.currency))].map((code) => CURRENCIES[code]);
  const products: CanonicalProduct[] = currencies.flatMap((c) =>
    CATALOGUE.map((p) => ({ externalId: productExternalId(p.sku, c.code), title: p.title, sku: p.sku, price: formatMoney(priceIn(p, c), c), currency: c.code, status: 'active', updatedAt })),
  );
  await applyChanges(trx, ctx, products.map((product) => ({ kind: 'product' as const, product })));
  return products.map((p) => p.externalId);
}

/** Writes one batch: orders (with their customers and lines), then the refunds of those orders. */
export async function writeBatch(trx: Trx, ctx: WriteContext, orders: readonly CanonicalOrder[], refunds: readonly CanonicalRefund[]): Promise<void> {
  await writeOrders(trx, ctx, orders);
  await writeRefunds(trx, ctx, refunds);
}

/** Upserts reported daily rows (Rossmann layout) in multi-row statements. */
export async function writeDailyRows(trx: Trx, tenantId: string, storeIds: ReadonlyMap<string, string>, rows: readonly DailyRow[]): Promise<void> {
  // Postgres takes at most 65,535 parameters per statement; 10 per row.
  for (let i = 0; i < rows.length; i += 5000) {
    await trx
      .insertInto('store_daily_sales')
      .values(rows.slice(i, i + 5000).map((d) => ({
        tenant_id: tenantId, store_id: storeIds.get(d.storeExternalId) as string, day: d.day, day_of_week: d.dayOfWeek, sales: d.sales,
        customers: d.customers, open: d.open, promo: d.promo, state_holiday: d.stateHoliday, school_holiday: d.schoolHoliday,
      })))
      .onConflict((oc) => oc.columns(['tenant_id', 'store_id', 'day']).doUpdateSet((eb) => ({
        day_of_week: eb.ref('excluded.day_of_week'), sales: eb.ref('excluded.sales'), customers: eb.ref('excluded.customers'), open: eb.ref('excluded.open'),
        promo: eb.ref('excluded.promo'), state_holiday: eb.ref('excluded.state_holiday'), school_holiday: eb.ref('excluded.school_holiday'),
      })))
      .execute();
  }
}

/** The tenant's demo stores already there (external ids `demo-NNN`), by row id. */
export async function existingDemoStores(trx: Trx): Promise<string[]> {
  const rows = await trx.selectFrom('stores').select('id').where(sql<boolean>`external_id ~ '^demo-[0-9]{3}$'`).execute();
  return rows.map((r) => r.id);
}

/**
 * `--replace`, first half: removes the demo stores' orders (their lines and refunds go with them),
 * daily rows and rollups. Refunds are deleted before their orders so the cascade finds nothing.
 */
export async function clearDemoOrders(trx: Trx, storeIds: readonly string[]): Promise<number> {
  if (storeIds.length === 0) return 0;
  const ids = sql`${[...storeIds]}::uuid[]`;
  await sql`delete from refunds r using orders o where r.order_id = o.id and o.store_id = any(${ids})`.execute(trx);
  const gone = await sql`delete from orders where store_id = any(${ids})`.execute(trx);
  for (const t of ['store_daily_sales', 'sales_hourly', 'sales_daily']) await sql`delete from ${sql.table(t)} where store_id = any(${ids})`.execute(trx);
  return Number(gone.numAffectedRows ?? 0n);
}

/**
 * `--replace`, second half (after seeding): the demo customers no order refers to any more, and
 * the demo products outside this run's catalogue (a currency no seeded store uses) that no line
 * names, left by an earlier run with another seed or volume. Done last and by difference, as each
 * deleted row costs a foreign-key probe of the orders (or lines) table.
 */
export async function dropOrphans(trx: Trx, catalogue: readonly string[]): Promise<{ customers: number; products: number }> {
  const c = await sql`delete from customers where source_id is null and external_id ~ '^demo-[0-9]{3}-c[0-9]+$'
      and id not in (select customer_id from orders where customer_id is not null)`.execute(trx);
  const p = await sql`delete from products where source_id is null and external_id like 'demo-DM-%' and not (external_id = any(${[...catalogue]}::text[]))
      and id not in (select product_id from order_lines where product_id is not null)`.execute(trx);
  return { customers: Number(c.numAffectedRows ?? 0n), products: Number(p.numAffectedRows ?? 0n) };
}
