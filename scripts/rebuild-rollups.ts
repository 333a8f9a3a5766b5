/**
 * `node scripts/rebuild-rollups.ts [--tenant SLUG] [--store EXTERNAL_ID]...`: recomputes the sales
 * rollups (hourly and daily) from the orders and refunds rows, for one tenant or every tenant, and
 * optionally only for some of its stores (after a store's time zone changed, or to repair them).
 */
import { parseArgs } from 'node:util';
import { listTenants, runWithPlatform, type TenantRef } from './lib/operator.ts';
import { sql } from 'kysely';
import { invalidateTenantAnswers, rebuildRollups } from '../src/commerce/index.ts';
import '../src/commerce/tables.ts';
import type { Db } from '../src/platform/db.ts';
import { withTenant } from '../src/platform/tenancy.ts';

const USAGE = 'usage: rebuild-rollups [--tenant SLUG] [--store EXTERNAL_ID]...\n';

// Not `flags()` from lib/operator.ts: --store may be repeated.
let tenantSlug: string | undefined;
let storeRefs: string[];
try {
  const { values } = parseArgs({ options: { tenant: { type: 'string' }, store: { type: 'string', multiple: true } }, strict: true });
  tenantSlug = values.tenant;
  storeRefs = values.store ?? [];
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(1);
}
if (storeRefs.length > 0 && tenantSlug === undefined) {
  // Store external ids are unique per tenant only: the same one may name stores of several tenants.
  process.stderr.write(`--store needs --tenant\n${USAGE}`);
  process.exit(1);
}

/** Rebuilds one tenant's rollups (some stores, or all) in one transaction; answers the rows there are afterwards in that scope. */
async function rebuildTenant(db: Db, t: TenantRef, stores: readonly string[]): Promise<{ hourly: number; daily: number }> {
  // One transaction: readers see the old rows until the new ones are complete, never an empty table.
  return withTenant(db, t.id, async (trx) => {
    let ids: string[] | 'all' = 'all';
    if (stores.length > 0) {
      const found = await trx.selectFrom('stores').select(['id', 'external_id']).where('external_id', 'in', [...stores]).execute();
      const missing = stores.filter((s) => !found.some((f) => f.external_id === s));
      if (missing.length > 0) throw new Error(`tenant ${t.slug} has no store ${missing.join(', ')}`);
      ids = found.map((f) => f.id);
    }
    await rebuildRollups(trx, ids);
    const scope = ids === 'all' ? sql`true` : sql`store_id = any(${ids}::uuid[])`;
    const r = await sql<{ hourly: number; daily: number }>`select
        (select count(*) from sales_hourly where tenant_id = ${t.id} and ${scope}) as hourly,
        (select count(*) from sales_daily where tenant_id = ${t.id} and ${scope}) as daily`.execute(trx);
    return { hourly: Number(r.rows[0]?.hourly ?? 0), daily: Number(r.rows[0]?.daily ?? 0) };
  });
}

await runWithPlatform(async (platform) => {
  const tenants = await listTenants(platform.ownerUrl, tenantSlug);
  if (tenants.length === 0) process.stdout.write('no tenants\n');
  for (const t of tenants) {
    const started = performance.now();
    const rows = await rebuildTenant(platform.db, t, storeRefs);
    // Answers cached from the old rollups (wrong ones, if that is why they were rebuilt) go too.
    await invalidateTenantAnswers(platform.stores, t.id);
    const ms = Math.round(performance.now() - started);
    const scope = storeRefs.length > 0 ? ` (stores ${storeRefs.join(', ')})` : '';
    process.stdout.write(`${t.slug}${scope}: ${rows.hourly} hourly and ${rows.daily} daily rollup rows, rebuilt in ${ms} ms\n`);
  }
});
