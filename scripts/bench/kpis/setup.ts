/**
 * The KPI benchmark's world: a fresh `tideline_bench_kpis_<random>` database (on DATABASE_URL's
 * server, else an ephemeral embedded Postgres), Tideline as a child, a signed-up tenant with an
 * ingest key and an analytics key, and the stores created over the API with their time zones.
 */
import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase, openScratchServer, type ScratchServer } from '../../lib/scratch-database.ts';
import { apiJson, createApiKey, expectStatus, signUpTenant, type BenchTenant } from '../lib/api.ts';
import { runPool } from '../lib/pool.ts';
import { startTideline, type RunningTideline } from '../lib/tideline.ts';
import type { StoreSpec } from './generate.ts';

/** The benchmark's database and the server it lives on. */
export interface KpiDatabase {
  server: ScratchServer;
  name: string;
  /** Owner URL. */
  url: string;
  /** Env a Tideline process needs besides DATABASE_URL. */
  serverEnv: Record<string, string>;
}

/** Creates the database (the caller drops it with `closeDatabase`). */
export async function openDatabase(): Promise<KpiDatabase> {
  const server = await openScratchServer(process.env.DATABASE_URL || null, 'tideline-bench-kpis-');
  const name = `tideline_bench_kpis_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(server, name);
  // The embedded server asks every login for a password, the app role's too (as scripts/test.ts does).
  const serverEnv: Record<string, string> = server.embedded ? { DATABASE_APP_PASSWORD: process.env.DATABASE_APP_PASSWORD ?? 'tideline_app' } : {};
  return { server, name, url, serverEnv };
}

/** Drops the database unless kept, and stops an embedded server; reports, never throws. */
export async function closeDatabase(db: KpiDatabase, keep: boolean): Promise<void> {
  if (keep && !db.server.embedded) {
    process.stderr.write(`kept database ${db.name}\n`);
  } else {
    await dropDatabase(db.server, db.name).catch((err: unknown) => process.stderr.write(`could not drop ${db.name}: ${String(err)}\n`));
  }
  await db.server.stop().catch((err: unknown) => process.stderr.write(`could not stop the embedded Postgres: ${String(err)}\n`));
}

/** Starts Tideline (API and workers) on the database, with uploads of any size the benchmark makes. */
export function startServer(db: KpiDatabase): Promise<RunningTideline> {
  return startTideline({
    databaseUrl: db.url,
    role: 'all',
    name: 'tideline',
    // 5M orders are a ~370 MB CSV: over the default 512 MiB limit at larger --orders.
    env: { ...db.serverEnv, IMPORT_MAX_BYTES: String(16 * 1024 ** 3) },
  });
}

/** The tenant and its two API keys. */
export interface KpiTenant extends BenchTenant {
  ingestKey: string;
  analyticsKey: string;
}

/** Signs up the tenant and makes its keys. */
export async function makeTenant(api: string): Promise<KpiTenant> {
  const t = await signUpTenant(api);
  return { ...t, ingestKey: await createApiKey(api, t.token, ['ingest:write']), analyticsKey: await createApiKey(api, t.token, ['analytics:read']) };
}

/**
 * Creates the stores over the API with their time zones (an import would create them in UTC);
 * answers external id to store id.
 */
export async function createStores(api: string, token: string, stores: readonly StoreSpec[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  await runPool(8, async (i) => {
    const s = stores[i] as StoreSpec;
    const body = expectStatus(await apiJson(api, 'POST', '/stores', {
      token,
      body: { external_id: s.externalId, name: `Store ${s.externalId}`, timezone: s.timezone, currency: s.currency },
    }), 201, `create store ${s.externalId}`);
    ids.set(s.externalId, String(body.id));
  }, { count: stores.length });
  return ids;
}
