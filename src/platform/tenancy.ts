import { sql } from 'kysely';
import type { Db, Trx } from './db.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs `fn` in a transaction scoped to one tenant: row-level security sees only its rows.
 * `set_config(..., true)` is transaction-local, so the setting dies with the transaction and
 * can never leak to the next user of a pooled connection.
 */
export async function withTenant<T>(db: Db, tenantId: string, fn: (trx: Trx) => Promise<T>): Promise<T> {
  if (!UUID.test(tenantId)) throw new Error('withTenant needs a tenant uuid');
  const hooks: AfterCommit[] = [];
  const result = await db.transaction().execute(async (trx) => {
    committed.set(trx, hooks);
    await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
    return fn(trx);
  });
  // Only now is the change visible to others: what must follow it (cache invalidation) runs here.
  for (const hook of hooks) await hook();
  return result;
}

type AfterCommit = () => Promise<void>;
const committed = new WeakMap<Trx, AfterCommit[]>();

/** Runs `fn` once the tenant transaction commits (never when it rolls back). */
export function afterCommit(trx: Trx, fn: AfterCommit): void {
  const hooks = committed.get(trx);
  if (!hooks) throw new Error('afterCommit needs a transaction opened by withTenant');
  hooks.push(fn);
}

/** The tenant the current transaction is scoped to, or null. */
export async function currentTenant(trx: Trx): Promise<string | null> {
  const r = await sql<{ t: string | null }>`select nullif(current_setting('app.tenant_id', true), '') as t`.execute(trx);
  return r.rows[0]?.t ?? null;
}
