import { sql } from 'kysely';
import type { Trx } from '../platform/db.ts';
import { newestFirst, type Cursor } from '../platform/pagination.ts';
import type { Role } from '../platform/http/auth.ts';
import type { Scope } from './tables.ts';

/** One user as seen from a tenant: the account joined with its membership there. */
export interface MemberRow {
  id: string;
  email_ciphertext: string;
  username: string | null;
  name: string | null;
  password_hash: string;
  role: Role;
  disabled_at: Date | null;
  tokens_valid_after: Date;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
}

function members(trx: Trx) {
  return trx
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'u.id', 'u.email_ciphertext', 'u.username', 'u.name', 'u.password_hash', 'm.role', 'm.disabled_at',
      'm.tokens_valid_after', 'm.created_at', 'm.updated_at', 'u.last_login_at',
    ]);
}

/** The member with this user id in the current tenant. */
export async function findMember(trx: Trx, userId: string, lock = false): Promise<MemberRow | undefined> {
  const q = members(trx).where('m.user_id', '=', userId);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
}

/** A page of members, newest first, keyset on (created_at, user_id) descending. */
export async function findMembers(trx: Trx, f: { limit: number; after: Cursor | null; role?: Role; status?: 'active' | 'disabled' }): Promise<MemberRow[]> {
  let q = members(trx).$call(newestFirst(f.after, f.limit, 'm.created_at', 'm.user_id'));
  if (f.role) q = q.where('m.role', '=', f.role);
  if (f.status === 'active') q = q.where('m.disabled_at', 'is', null);
  if (f.status === 'disabled') q = q.where('m.disabled_at', 'is not', null);
  return q.execute();
}

/** Locks the tenant's enabled admins (so two demotions cannot both leave zero) and counts them. */
export async function lockEnabledAdmins(trx: Trx): Promise<string[]> {
  const rows = await trx.selectFrom('memberships').select('user_id').where('role', '=', 'admin').where('disabled_at', 'is', null).forUpdate().execute();
  return rows.map((r) => r.user_id);
}

/** Inserts a global account (invisible to every tenant until a membership exists). */
export async function insertUser(trx: Trx, u: { id: string; email_ciphertext: string; email_index: string; username: string | null; name: string | null; password_hash: string }): Promise<void> {
  await trx.insertInto('users').values(u).execute();
}

/** Adds the account to the current tenant. */
export async function insertMembership(trx: Trx, m: { tenant_id: string; user_id: string; role: Role }): Promise<void> {
  await trx.insertInto('memberships').values(m).execute();
}

/** Changes a membership; `revokeTokens` makes every token issued before now invalid. */
export async function updateMembership(trx: Trx, userId: string, patch: { role?: Role; disabled?: boolean; revokeTokens?: boolean }): Promise<void> {
  await trx
    .updateTable('memberships')
    .set({
      updated_at: sql<Date>`now()`,
      ...(patch.role ? { role: patch.role } : {}),
      ...(patch.disabled === undefined ? {} : { disabled_at: patch.disabled ? sql<Date>`now()` : null }),
      ...(patch.revokeTokens ? { tokens_valid_after: sql<Date>`now()` } : {}),
    })
    .where('user_id', '=', userId)
    .execute();
}

/** Updates account fields of a user visible in the current tenant. */
export async function updateUser(trx: Trx, userId: string, patch: { name?: string | null; password_hash?: string; last_login_at?: Date }): Promise<void> {
  await trx.updateTable('users').set({ ...patch, updated_at: sql<Date>`now()` }).where('id', '=', userId).execute();
}

/** Removes the user from the current tenant; the account goes too when it belongs nowhere else. */
export async function deleteMembership(trx: Trx, userId: string): Promise<void> {
  await trx.deleteFrom('memberships').where('user_id', '=', userId).execute();
  await trx.deleteFrom('refresh_tokens').where('user_id', '=', userId).execute();
  // Only the owner sees other tenants' memberships; the account row is left for the
  // retention job when it may still belong elsewhere, which the app role cannot tell.
}

/** The membership state that token verification needs. */
export async function findMembershipState(trx: Trx, userId: string): Promise<{ role: Role; disabled: boolean; tokens_valid_after: Date } | undefined> {
  const r = await trx.selectFrom('memberships').select(['role', 'disabled_at', 'tokens_valid_after']).where('user_id', '=', userId).executeTakeFirst();
  return r && { role: r.role, disabled: r.disabled_at !== null, tokens_valid_after: r.tokens_valid_after };
}

/** Whether an access token has been revoked, itself or through its session (refresh family). */
export async function isAccessRevoked(trx: Trx, jti: string, sessionId: string): Promise<boolean> {
  const r = await sql<{ revoked: boolean }>`select exists (select 1 from revoked_tokens where jti = ${jti})
      or exists (select 1 from refresh_tokens where family_id = ${sessionId} and revoked_at is not null) as revoked`.execute(trx);
  return r.rows[0]?.revoked ?? true;
}

/** Records an access token id as revoked until it would have expired anyway. */
export async function insertRevokedJti(trx: Trx, tenantId: string, jti: string, expiresAt: Date): Promise<void> {
  await trx.insertInto('revoked_tokens').values({ tenant_id: tenantId, jti, expires_at: expiresAt }).onConflict((oc) => oc.doNothing()).execute();
}

/** The tenant row of the current tenant. */
export async function findTenant(trx: Trx, tenantId: string) {
  return trx.selectFrom('tenants').select(['id', 'slug', 'name']).where('id', '=', tenantId).executeTakeFirst();
}

/** Inserts a tenant; the transaction must already be scoped to its id. */
export async function insertTenant(trx: Trx, t: { id: string; slug: string; name: string }): Promise<void> {
  await trx.insertInto('tenants').values(t).execute();
}

/** Every tenant the account belongs to, with its role there (cross-tenant lookup, owner-defined). */
export async function findLoginCandidates(trx: Trx, emailIndex: string, username: string | null) {
  const r = await sql<{ user_id: string; password_hash: string; tenant_id: string; tenant_slug: string; tenant_name: string; role: Role; disabled: boolean }>`
    select * from identity_login_candidates(${emailIndex}, ${username})`.execute(trx);
  return r.rows;
}

/** The account with this email, across tenants (sign-up attaches a new tenant to it). */
export async function findAccountByEmail(trx: Trx, emailIndex: string) {
  const r = await sql<{ user_id: string; password_hash: string }>`select * from identity_account_by_email(${emailIndex})`.execute(trx);
  return r.rows[0];
}

/** A tenant id by slug, across tenants. */
export async function findTenantIdBySlug(trx: Trx, slug: string): Promise<string | null> {
  const r = await sql<{ id: string | null }>`select identity_tenant_by_slug(${slug}) as id`.execute(trx);
  return r.rows[0]?.id ?? null;
}

/** The key with this hash, across tenants (a key arrives before its tenant is known). */
export async function findApiKeyByHash(trx: Trx, hash: string) {
  const r = await sql<{ tenant_id: string; id: string; scopes: Scope[]; expires_at: Date | null; revoked_at: Date | null }>`
    select * from identity_api_key_by_hash(${hash})`.execute(trx);
  return r.rows[0];
}

/** Marks a key as used now. */
export async function touchApiKey(trx: Trx, keyId: string): Promise<void> {
  await trx.updateTable('api_keys').set({ last_used_at: sql<Date>`now()` }).where('id', '=', keyId).execute();
}

/** The tenants where the account is an enabled member (cross-tenant lookup, owner-defined). */
export async function findMembershipsOf(trx: Trx, userId: string) {
  const r = await sql<{ tenant_id: string; tenant_slug: string; role: Role }>`select * from identity_memberships_of(${userId})`.execute(trx);
  return r.rows;
}
