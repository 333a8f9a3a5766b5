import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { components } from '../../generated/api.ts';
import { recordAudit, type RequestMeta } from '../identity/index.ts';
import type { Trx } from '../platform/db.ts';
import { badRequest, notFound } from '../platform/errors.ts';
import { decodeCursor, newestFirst, page } from '../platform/pagination.ts';
import { afterCommit, withTenant } from '../platform/tenancy.ts';
import { secretCtx, type IngestionDeps } from './context.ts';
import { toSource } from './mappers.ts';
import type { Provider } from './providers/types.ts';
import './tables.ts';

type CreateSource = components['schemas']['CreateSourceRequest'];
type UpdateSource = components['schemas']['UpdateSourceRequest'];

// Shopify and Stripe issue the secret; PayPal signs with certificates; the others can have one made up here.
const PROVIDER_ISSUED: readonly Provider[] = ['shopify', 'stripe'];

function makeSecret(): string {
  return `tls_${randomBytes(32).toString('base64url')}`;
}

async function checkStore(trx: Trx, storeId: string | null | undefined, field: string): Promise<void> {
  if (!storeId) return;
  const s = await trx.selectFrom('stores').select('id').where('id', '=', storeId).executeTakeFirst();
  if (!s) throw badRequest('The store does not exist.', [{ name: field, reason: 'is not a store of this tenant' }]);
}

/** Registers a source; its secret (given, or made up here) is encrypted and shown only in this answer. */
export async function createSource(d: IngestionDeps, tenantId: string, input: CreateSource, meta: RequestMeta) {
  const { provider } = input;
  if (provider === 'paypal') {
    if (!input.settings?.webhook_id) throw badRequest('A PayPal source needs the webhook id PayPal signs with.', [{ name: 'body.settings.webhook_id', reason: 'is required for paypal' }]);
    if (input.secret !== undefined) throw badRequest('PayPal signs with certificates, not a shared secret.', [{ name: 'body.secret', reason: 'is not used by paypal' }]);
  } else if (input.settings?.webhook_id !== undefined) {
    throw badRequest('Only PayPal sources take a webhook id.', [{ name: 'body.settings.webhook_id', reason: `is not used by ${provider}` }]);
  }
  if (PROVIDER_ISSUED.includes(provider) && input.secret === undefined) {
    throw badRequest(`${provider} issues the signing secret: send it.`, [{ name: 'body.secret', reason: `is required for ${provider}` }]);
  }
  const secret = provider === 'paypal' ? null : (input.secret ?? makeSecret());
  const row = await withTenant(d.db, tenantId, async (trx) => {
    await checkStore(trx, input.store_id, 'body.store_id');
    const r = await trx
      .insertInto('sources')
      .values({
        tenant_id: tenantId,
        provider,
        name: input.name,
        secret_ciphertext: secret === null ? null : d.cipher.encrypt(secret, secretCtx(tenantId, 'secret')),
        settings: JSON.stringify(input.settings ?? {}),
        store_id: input.store_id ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, tenantId, meta, 'source.created', { type: 'source', id: r.id }, { provider });
    return r;
  });
  return toSource(d.config, row, secret ?? undefined);
}

/** A page of the tenant's sources, newest first. */
export async function listSources(d: IngestionDeps, tenantId: string, f: { limit?: number; cursor?: string; provider?: Provider; status?: 'active' | 'disabled' }) {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => {
    let q = trx.selectFrom('sources').selectAll().$call(newestFirst(after, limit, 'created_at', 'id'));
    if (f.provider) q = q.where('provider', '=', f.provider);
    if (f.status) q = q.where('status', '=', f.status);
    return q.execute();
  });
  const { items, next } = page(rows, limit, (r) => [r.created_at, r.id]);
  return { data: items.map((r) => toSource(d.config, r)), next_cursor: next };
}

/** One source of the tenant; another tenant's is as missing as none. */
export async function getSource(d: IngestionDeps, tenantId: string, id: string) {
  const r = await withTenant(d.db, tenantId, (trx) => trx.selectFrom('sources').selectAll().where('id', '=', id).executeTakeFirst());
  if (!r) throw notFound('source');
  return toSource(d.config, r);
}

/** Renames, enables or disables, re-settles or rotates a source; a rotated-out secret stays valid for the overlap. */
export async function updateSource(d: IngestionDeps, tenantId: string, id: string, input: UpdateSource, meta: RequestMeta) {
  if (input.secret !== undefined && input.rotate_secret) {
    throw badRequest('Send a new secret or ask for one, not both.', [{ name: 'body.rotate_secret', reason: 'cannot be combined with secret' }]);
  }
  if (input.previous_secret_valid_seconds !== undefined && input.secret === undefined && !input.rotate_secret) {
    throw badRequest('The overlap applies to a rotation only.', [{ name: 'body.previous_secret_valid_seconds', reason: 'needs secret or rotate_secret' }]);
  }
  let shown: string | undefined;
  const row = await withTenant(d.db, tenantId, async (trx) => {
    const cur = await trx.selectFrom('sources').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!cur) throw notFound('source');
    const rotating = input.secret !== undefined || input.rotate_secret === true;
    if (rotating && cur.provider === 'paypal') throw badRequest('PayPal signs with certificates, not a shared secret.', [{ name: 'body.secret', reason: 'is not used by paypal' }]);
    if (input.settings?.webhook_id !== undefined && cur.provider !== 'paypal') {
      throw badRequest('Only PayPal sources take a webhook id.', [{ name: 'body.settings.webhook_id', reason: `is not used by ${cur.provider}` }]);
    }
    await checkStore(trx, input.store_id, 'body.store_id');
    const changes: Record<string, unknown> = { updated_at: sql`now()` };
    if (input.name !== undefined) changes.name = input.name;
    if (input.status !== undefined) changes.status = input.status;
    if (input.settings !== undefined) changes.settings = JSON.stringify({ ...cur.settings, ...input.settings });
    if (input.store_id !== undefined) changes.store_id = input.store_id;
    if (rotating) {
      const secret = input.secret ?? makeSecret();
      if (input.rotate_secret) shown = secret;
      const overlap = input.previous_secret_valid_seconds ?? d.config.ingestion.secretOverlapSeconds;
      const previous = cur.secret_ciphertext === null ? null : d.cipher.encrypt(d.cipher.decrypt(cur.secret_ciphertext, secretCtx(tenantId, 'secret')), secretCtx(tenantId, 'previous_secret'));
      changes.secret_ciphertext = d.cipher.encrypt(secret, secretCtx(tenantId, 'secret'));
      changes.previous_secret_ciphertext = overlap > 0 ? previous : null;
      changes.previous_secret_expires_at = overlap > 0 && previous ? new Date(Date.now() + overlap * 1000) : null;
    }
    const r = await trx.updateTable('sources').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const fields = Object.keys(input).filter((k) => k !== 'secret');
    await recordAudit(trx, tenantId, meta, rotating ? 'source.secret_rotated' : 'source.updated', { type: 'source', id }, { fields });
    // This process's deliveries see the change as soon as it commits; others within the cache's lifetime.
    afterCommit(trx, () => Promise.resolve(d.sourceCache.forget(id)));
    return r;
  });
  return toSource(d.config, row, shown);
}
