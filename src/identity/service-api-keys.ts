import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { badRequest, notFound, unprocessable } from '../platform/errors.ts';
import { decodeCursor, newestFirst, page } from '../platform/pagination.ts';
import { withTenant } from '../platform/tenancy.ts';
import { displayParts, generateApiKey, hashApiKey } from './api-key-format.ts';
import { recordAudit } from './audit.ts';
import type { IdentityDeps, RequestMeta } from './context.ts';
import { apiKeyRowToApiKey } from './mappers.ts';
import type { Scope } from './tables.ts';

// Development only: without API_KEY_PEPPER, keys are hashed under this fixed pepper.
const DEV_PEPPER = 'tideline-development-only-api-key-pepper';
const MAX_EXPIRY = Date.UTC(10000, 0, 1);

/** The pepper keys are hashed under. */
export function pepper(d: IdentityDeps): string {
  return d.config.auth.apiKeyPepper ?? DEV_PEPPER;
}

/** Creates a key; the secret is in this answer and nowhere else, ever. */
export async function createApiKey(d: IdentityDeps, tenantId: string, input: { name: string; scopes: Scope[]; expires_at?: string }, meta: RequestMeta) {
  const expires = input.expires_at === undefined ? null : Date.parse(input.expires_at);
  // A leap second (23:59:60) passes the contract's format but not Date, and past year 9999 the
  // stored row could never be shown again as a date-time: both are refused before anything is stored.
  if (expires !== null && (Number.isNaN(expires) || expires >= MAX_EXPIRY)) {
    throw badRequest('The expiry is not a time this API can store.', [{ name: 'body.expires_at', reason: 'must be a valid instant before year 10000' }]);
  }
  if (expires !== null && expires <= Date.now()) {
    throw unprocessable('The expiry is in the past.', [{ name: 'body.expires_at', reason: 'must be in the future' }]);
  }
  const key = generateApiKey();
  const { prefix, lastFour } = displayParts(key);
  const id = randomUUID();
  const row = await withTenant(d.db, tenantId, async (trx) => {
    const inserted = await trx
      .insertInto('api_keys')
      .values({
        tenant_id: tenantId, id, name: input.name, prefix, last_four: lastFour, key_hash: hashApiKey(key, pepper(d)),
        scopes: input.scopes, created_by: meta.actorType === 'user' ? meta.actorId : null, expires_at: input.expires_at ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, tenantId, meta, 'api_key.created', { type: 'api_key', id }, { name: input.name, scopes: input.scopes });
    return inserted;
  });
  return { ...apiKeyRowToApiKey(row), key };
}

/** A page of the tenant's keys, newest first, optionally by status. */
export async function listApiKeys(d: IdentityDeps, tenantId: string, f: { limit?: number; cursor?: string; status?: 'active' | 'revoked' | 'expired' }) {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => {
    let q = trx.selectFrom('api_keys').selectAll().$call(newestFirst(after, limit, 'created_at', 'id'));
    if (f.status === 'revoked') q = q.where('revoked_at', 'is not', null);
    if (f.status === 'active') q = q.where('revoked_at', 'is', null).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]));
    if (f.status === 'expired') q = q.where('revoked_at', 'is', null).where('expires_at', '<=', sql<Date>`now()`);
    return q.execute();
  });
  const { items, next } = page(rows, limit, (r) => [r.created_at, r.id]);
  return { data: items.map(apiKeyRowToApiKey), next_cursor: next };
}

/** One key of the tenant. */
export async function getApiKey(d: IdentityDeps, tenantId: string, keyId: string) {
  const row = await withTenant(d.db, tenantId, (trx) => trx.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst());
  if (!row) throw notFound('API key');
  return apiKeyRowToApiKey(row);
}

/** Revokes a key at once: the row first, then the shared cache entry that would let it through. */
export async function revokeApiKey(d: IdentityDeps, tenantId: string, keyId: string, meta: RequestMeta): Promise<void> {
  const hash = await withTenant(d.db, tenantId, async (trx) => {
    const row = await trx.updateTable('api_keys').set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` }).where('id', '=', keyId).returning('key_hash').executeTakeFirst();
    if (!row) throw notFound('API key');
    await recordAudit(trx, tenantId, meta, 'api_key.revoked', { type: 'api_key', id: keyId });
    return row.key_hash;
  });
  await d.stores.cache.del(`apikey:${hash}`);
}
