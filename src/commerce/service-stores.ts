import { sql } from 'kysely';
import type { components } from '../../generated/api.ts';
import { isUniqueViolation } from '../platform/db.ts';
import { badRequest, conflict, notFound } from '../platform/errors.ts';
import { decodeCursor, newestFirst, page } from '../platform/pagination.ts';
import { withTenant } from '../platform/tenancy.ts';
import type { CommerceDeps } from './context.ts';
import { toStore } from './mappers.ts';
import { rebuildRollups } from './rollups.ts';
import { invalidate, monthTouches } from './cache.ts';
import { afterCommit } from '../platform/tenancy.ts';
import './tables.ts';

type CreateStore = components['schemas']['CreateStoreRequest'];
type UpdateStore = components['schemas']['UpdateStoreRequest'];

/** Whether a name is an IANA time zone this runtime knows (the database must know it too; both ship the tz database). */
function checkTimezone(tz: string | undefined, field: string): void {
  if (tz === undefined) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw badRequest('Unknown time zone.', [{ name: field, reason: `${tz} is not an IANA time zone` }]);
  }
}

function checkDates(input: { competition_open_since?: string | null; promo2_since?: string | null }, where: string): void {
  for (const k of ['competition_open_since', 'promo2_since'] as const) {
    const v = input[k];
    if (v && Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw badRequest('Not a calendar date.', [{ name: `${where}.${k}`, reason: 'is not a valid date' }]);
  }
}

/** Adds a store; its external id is unique in the tenant. */
export async function createStore(d: CommerceDeps, tenantId: string, input: CreateStore) {
  checkTimezone(input.timezone, 'body.timezone');
  checkDates(input, 'body');
  try {
    const row = await withTenant(d.db, tenantId, (trx) =>
      trx.insertInto('stores').values({ ...input, tenant_id: tenantId, created_via: 'api' }).returningAll().executeTakeFirstOrThrow(),
    );
    return toStore(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`A store with external id ${input.external_id} exists.`);
    throw err;
  }
}

/** A page of stores, newest first. */
export async function listStores(d: CommerceDeps, tenantId: string, f: { limit?: number; cursor?: string; status?: 'open' | 'closed'; store_type?: string; external_id?: string; archived?: boolean }) {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => {
    let q = trx.selectFrom('stores').selectAll().$call(newestFirst(after, limit, 'created_at', 'id'));
    q = q.where('archived_at', f.archived ? 'is not' : 'is', null);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.store_type) q = q.where('store_type', '=', f.store_type);
    if (f.external_id) q = q.where('external_id', '=', f.external_id);
    return q.execute();
  });
  const { items, next } = page(rows, limit, (r) => [r.created_at, r.id]);
  return { data: items.map(toStore), next_cursor: next };
}

/** One store of the tenant. */
export async function getStore(d: CommerceDeps, tenantId: string, id: string) {
  const r = await withTenant(d.db, tenantId, (trx) => trx.selectFrom('stores').selectAll().where('id', '=', id).executeTakeFirst());
  if (!r) throw notFound('store');
  return toStore(r);
}

/** Changes a store; a new time zone moves its daily figures to the new local days in the same transaction. */
export async function updateStore(d: CommerceDeps, tenantId: string, id: string, input: UpdateStore) {
  checkTimezone(input.timezone, 'body.timezone');
  checkDates(input, 'body');
  const row = await withTenant(d.db, tenantId, async (trx) => {
    const cur = await trx.selectFrom('stores').select(['timezone']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!cur) throw notFound('store');
    const r = await trx.updateTable('stores').set({ ...input, updated_at: sql`now()` }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    if (input.timezone !== undefined && input.timezone !== cur.timezone) {
      await rebuildRollups(trx, [id]);
      // Every answer over the store's days changed: its whole range of months is recomputed.
      const span = await trx.selectFrom('orders').select((eb) => [eb.fn.min('placed_at').as('lo'), eb.fn.max('placed_at').as('hi')]).where('store_id', '=', id).executeTakeFirst();
      if (span?.lo && span.hi) {
        const touches = monthTouches(new Date(span.lo), new Date(span.hi));
        afterCommit(trx, () => invalidate(d.stores, tenantId, touches));
      }
    }
    return r;
  });
  return toStore(row);
}

/** Archives a store (idempotent); its orders and figures stay. */
export async function archiveStore(d: CommerceDeps, tenantId: string, id: string): Promise<void> {
  const r = await withTenant(d.db, tenantId, (trx) =>
    trx.updateTable('stores').set({ archived_at: sql`coalesce(archived_at, now())`, updated_at: sql`now()` }).where('id', '=', id).returning('id').executeTakeFirst(),
  );
  if (!r) throw notFound('store');
}
