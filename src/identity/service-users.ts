import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../platform/db.ts';
import { conflict, notFound } from '../platform/errors.ts';
import type { Role } from '../platform/http/auth.ts';
import { decodeCursor, page } from '../platform/pagination.ts';
import { withTenant } from '../platform/tenancy.ts';
import { recordAudit } from './audit.ts';
import { ACCOUNT_EMAIL, type IdentityDeps, type RequestMeta } from './context.ts';
import { memberRowToUser } from './mappers.ts';
import * as q from './queries.ts';

/** Forgets the cached token state of a member, so a change takes effect on the next request. */
async function dropAuthCache(d: IdentityDeps, tenantId: string, userId: string): Promise<void> {
  await d.stores.cache.del(`member:${tenantId}:${userId}`);
}

/** Creates an account in the admin's tenant; an email or username in use anywhere is a 409. */
export async function createUser(d: IdentityDeps, tenantId: string, input: { email: string; password: string; role: Role; username?: string; name?: string }, meta: RequestMeta) {
  const id = randomUUID();
  const passwordHash = await d.hasher.hash(input.password);
  return withTenant(d.db, tenantId, async (trx) => {
    await q.insertUser(trx, {
      id,
      email_ciphertext: d.cipher.encrypt(input.email.trim(), ACCOUNT_EMAIL),
      email_index: d.cipher.blindIndex(input.email, 'email', ACCOUNT_EMAIL),
      username: input.username?.toLowerCase() ?? null,
      name: input.name ?? null,
      password_hash: passwordHash,
    });
    await q.insertMembership(trx, { tenant_id: tenantId, user_id: id, role: input.role });
    await recordAudit(trx, tenantId, meta, 'user.created', { type: 'user', id }, { role: input.role });
    const row = await q.findMember(trx, id);
    if (!row) throw new Error('created user not visible');
    return memberRowToUser(row, d.cipher);
  }).catch((err: unknown) => {
    if (isUniqueViolation(err)) throw conflict('An account with this email or username already exists.');
    throw err;
  });
}

/** A page of the tenant's users. */
export async function listUsers(d: IdentityDeps, tenantId: string, f: { limit?: number; cursor?: string; role?: Role; status?: 'active' | 'disabled' }) {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => q.findMembers(trx, { limit, after, ...(f.role ? { role: f.role } : {}), ...(f.status ? { status: f.status } : {}) }));
  const { items, next } = page(rows, limit, (r) => [r.created_at, r.id]);
  return { data: items.map((r) => memberRowToUser(r, d.cipher)), next_cursor: next };
}

/** One user of the tenant; another tenant's is a 404 like a missing one. */
export async function getUser(d: IdentityDeps, tenantId: string, userId: string) {
  const row = await withTenant(d.db, tenantId, (trx) => q.findMember(trx, userId));
  if (!row) throw notFound('user');
  return memberRowToUser(row, d.cipher);
}

/** Refuses a change that would leave the tenant with no enabled admin. */
function keepsAnAdmin(admins: string[], userId: string, stillAdmin: boolean): void {
  if (!stillAdmin && admins.length === 1 && admins[0] === userId) throw conflict('The tenant must keep at least one enabled admin.');
}

/** Changes a user's role, name or enabled state; role and state changes end their current tokens. */
export async function updateUser(d: IdentityDeps, tenantId: string, userId: string, patch: { role?: Role; disabled?: boolean; name?: string }, meta: RequestMeta) {
  const user = await withTenant(d.db, tenantId, async (trx) => {
    const admins = await q.lockEnabledAdmins(trx);
    const row = await q.findMember(trx, userId, true);
    if (!row) throw notFound('user');
    const role = patch.role ?? row.role;
    const disabled = patch.disabled ?? row.disabled_at !== null;
    keepsAnAdmin(admins, userId, role === 'admin' && !disabled);
    const security = role !== row.role || disabled !== (row.disabled_at !== null);
    await q.updateMembership(trx, userId, { ...(patch.role ? { role: patch.role } : {}), ...(patch.disabled === undefined ? {} : { disabled: patch.disabled }), revokeTokens: security });
    if (patch.name !== undefined) await q.updateUser(trx, userId, { name: patch.name });
    if (disabled) await trx.updateTable('refresh_tokens').set({ revoked_at: new Date(), revoked_reason: 'disabled' }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    await recordAudit(trx, tenantId, meta, 'user.updated', { type: 'user', id: userId }, { ...patch, previous_role: row.role });
    const updated = await q.findMember(trx, userId);
    if (!updated) throw notFound('user');
    return memberRowToUser(updated, d.cipher);
  });
  await dropAuthCache(d, tenantId, userId);
  return user;
}

/** Removes a user from the tenant (never its last enabled admin). */
export async function deleteUser(d: IdentityDeps, tenantId: string, userId: string, meta: RequestMeta): Promise<void> {
  await withTenant(d.db, tenantId, async (trx) => {
    const admins = await q.lockEnabledAdmins(trx);
    const row = await q.findMember(trx, userId, true);
    if (!row) throw notFound('user');
    keepsAnAdmin(admins, userId, false);
    await q.deleteMembership(trx, userId);
    await recordAudit(trx, tenantId, meta, 'user.deleted', { type: 'user', id: userId });
  });
  await dropAuthCache(d, tenantId, userId);
}
