import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { AppError, conflict, forbidden, tooManyRequests, unauthorized } from '../platform/errors.ts';
import { isUniqueViolation, type Trx } from '../platform/db.ts';
import type { Role } from '../platform/http/auth.ts';
import { resetSeconds } from '../platform/redis.ts';
import { withTenant } from '../platform/tenancy.ts';
import { recordAudit } from './audit.ts';
import { ACCOUNT_EMAIL, type IdentityDeps, type RequestMeta } from './context.ts';
import { memberRowToUser } from './mappers.ts';
import * as q from './queries.ts';
import { hashToken, newRefreshToken, refreshTokenTenant } from './tokens.ts';

/** What sign-up, login and refresh answer. */
export async function issueSession(d: IdentityDeps, trx: Trx, tenantId: string, userId: string, role: Role, familyId: string, parentId: string | null) {
  const refresh = newRefreshToken(tenantId);
  const ttl = d.config.auth.refreshTokenTtlSeconds;
  await trx
    .insertInto('refresh_tokens')
    .values({
      tenant_id: tenantId, id: randomUUID(), family_id: familyId, user_id: userId, token_hash: hashToken(refresh),
      parent_id: parentId, expires_at: new Date(Date.now() + ttl * 1000),
    })
    .execute();
  const access = await d.tokens.sign({ userId, tenantId, role, sessionId: familyId });
  const tenant = await q.findTenant(trx, tenantId);
  const member = await q.findMember(trx, userId);
  if (!tenant || !member) throw new Error('session for a missing tenant or member');
  return {
    access_token: access.token,
    token_type: 'Bearer' as const,
    expires_in: d.tokens.accessTtlSeconds,
    refresh_token: refresh,
    refresh_expires_in: ttl,
    tenant,
    user: memberRowToUser(member, d.cipher),
  };
}

export interface SignUpInput {
  tenant_slug: string;
  tenant_name: string;
  email: string;
  password: string;
  username?: string;
  name?: string;
}

/** Creates a tenant and its first admin; an existing account proves itself with its password to join. */
export async function signUp(d: IdentityDeps, input: SignUpInput, meta: RequestMeta, opts: { operator?: boolean } = {}) {
  if (!d.config.auth.signupEnabled && !opts.operator) throw forbidden('Sign-up is disabled on this installation.');
  const tenantId = randomUUID();
  const emailIndex = d.cipher.blindIndex(input.email, 'email', ACCOUNT_EMAIL);
  return withTenant(d.db, tenantId, async (trx) => {
    if (await q.findTenantIdBySlug(trx, input.tenant_slug)) throw conflict(`The tenant slug "${input.tenant_slug}" is taken.`);
    const existing = await q.findAccountByEmail(trx, emailIndex);
    let userId: string;
    if (existing) {
      const { ok } = await d.hasher.verify(existing.password_hash, input.password);
      if (!ok) throw conflict('An account with this email exists; sign up with its password to add a tenant to it.');
      userId = existing.user_id;
    } else {
      userId = randomUUID();
      await q.insertUser(trx, {
        id: userId,
        email_ciphertext: d.cipher.encrypt(input.email.trim(), ACCOUNT_EMAIL),
        email_index: emailIndex,
        username: input.username?.toLowerCase() ?? null,
        name: input.name ?? null,
        password_hash: await d.hasher.hash(input.password),
      });
    }
    await q.insertTenant(trx, { id: tenantId, slug: input.tenant_slug, name: input.tenant_name });
    await q.insertMembership(trx, { tenant_id: tenantId, user_id: userId, role: 'admin' });
    await recordAudit(trx, tenantId, { ...meta, actorType: 'user', actorId: userId }, 'tenant.created', { type: 'tenant', id: tenantId });
    return issueSession(d, trx, tenantId, userId, 'admin', randomUUID(), null);
  }).catch((err: unknown) => {
    if (isUniqueViolation(err)) throw conflict('The tenant slug, email or username is taken.');
    throw err;
  });
}

/** Checks the per-IP and per-account login limits before any password work is done. */
async function checkLoginLimits(d: IdentityDeps, ip: string, account: string): Promise<void> {
  const perIp = await d.stores.limiter('login-ip', d.config.limits.loginPerIpPerMinute, 60).consume(ip);
  if (!perIp.allowed) throw tooManyRequests(resetSeconds(perIp));
  const lock = await d.stores.cache.get(`lockout:${account}`);
  if (lock) throw tooManyRequests(Math.max(1, Math.ceil((Number(lock) - Date.now()) / 1000)));
}

/** Counts a failure; a run of them locks the account for a while (audited in each of its tenants). */
async function recordLoginFailure(d: IdentityDeps, account: string, tenants: string[], meta: RequestMeta): Promise<void> {
  const { loginFailuresBeforeLockout, lockoutSeconds } = d.config.limits;
  const failures = await d.stores.limiter('login-fail', loginFailuresBeforeLockout, lockoutSeconds).consume(account);
  for (const t of tenants) {
    await withTenant(d.db, t, async (trx) => {
      await recordAudit(trx, t, meta, 'auth.login_failed', { type: 'user', id: account });
      if (!failures.allowed || failures.remaining === 0) {
        await recordAudit(trx, t, meta, 'auth.lockout', { type: 'user', id: account }, { seconds: lockoutSeconds });
      }
    });
  }
  if (!failures.allowed || failures.remaining === 0) {
    await d.stores.cache.set(`lockout:${account}`, String(Date.now() + lockoutSeconds * 1000), lockoutSeconds);
  }
}

/** Password login by email or username; unknown accounts take the same path and answer as wrong passwords. */
export async function login(d: IdentityDeps, input: { login: string; password: string; tenant?: string }, meta: RequestMeta) {
  const byEmail = input.login.includes('@');
  const emailIndex = d.cipher.blindIndex(input.login, 'email', ACCOUNT_EMAIL);
  const candidates = await d.db.transaction().execute((trx) => q.findLoginCandidates(trx, emailIndex, byEmail ? null : input.login.toLowerCase()));
  const account = candidates[0]?.user_id ?? `unknown:${emailIndex}`;
  await checkLoginLimits(d, meta.ip ?? 'unknown', account);
  const first = candidates[0];
  if (!first) {
    await d.hasher.verifyDummy(input.password);
    d.log.info({ requestId: meta.requestId }, 'login failed: unknown account');
    throw unauthorized('The login or password is wrong.');
  }
  const { ok, rehash } = await d.hasher.verify(first.password_hash, input.password);
  const usable = candidates.filter((c) => !c.disabled);
  if (!ok) {
    await recordLoginFailure(d, first.user_id, candidates.map((c) => c.tenant_id), { ...meta, actorType: 'anonymous', actorId: null });
    throw unauthorized('The login or password is wrong.');
  }
  const chosen = input.tenant ? usable.find((c) => c.tenant_slug === input.tenant) : usable.length === 1 ? usable[0] : undefined;
  if (!chosen) {
    if (input.tenant || usable.length === 0) throw unauthorized('The login or password is wrong.');
    throw new AppError(409, 'tenant-required', 'This account belongs to several tenants; pass `tenant` with the slug of one.', {
      extensions: { tenants: usable.map((c) => c.tenant_slug) },
    });
  }
  await d.stores.limiter('login-fail', d.config.limits.loginFailuresBeforeLockout, d.config.limits.lockoutSeconds).reset(first.user_id);
  return withTenant(d.db, chosen.tenant_id, async (trx) => {
    await q.updateUser(trx, chosen.user_id, { last_login_at: new Date(), ...(rehash ? { password_hash: await d.hasher.hash(input.password) } : {}) });
    await recordAudit(trx, chosen.tenant_id, { ...meta, actorType: 'user', actorId: chosen.user_id }, 'auth.login', { type: 'user', id: chosen.user_id });
    return issueSession(d, trx, chosen.tenant_id, chosen.user_id, chosen.role, randomUUID(), null);
  });
}

/** Rotates a refresh token; presenting one already rotated revokes its whole family. */
export async function refresh(d: IdentityDeps, token: string, meta: RequestMeta) {
  const tenantId = refreshTokenTenant(token);
  if (!tenantId) throw unauthorized('The refresh token is invalid.');
  const outcome = await withTenant(d.db, tenantId, async (trx) => {
    const row = await trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hashToken(token)).forUpdate().executeTakeFirst();
    if (!row || row.revoked_at || row.expires_at.getTime() <= Date.now()) return { error: 'invalid' as const };
    if (row.rotated_at) {
      await trx.updateTable('refresh_tokens').set({ revoked_at: sql<Date>`now()`, revoked_reason: 'reuse' }).where('family_id', '=', row.family_id).where('revoked_at', 'is', null).execute();
      await recordAudit(trx, tenantId, { ...meta, actorType: 'user', actorId: row.user_id }, 'auth.refresh_reuse', { type: 'session', id: row.family_id });
      return { error: 'reuse' as const, familyId: row.family_id };
    }
    const member = await q.findMembershipState(trx, row.user_id);
    if (!member || member.disabled) return { error: 'invalid' as const };
    await trx.updateTable('refresh_tokens').set({ rotated_at: sql<Date>`now()` }).where('id', '=', row.id).execute();
    return { session: await issueSession(d, trx, tenantId, row.user_id, member.role, row.family_id, row.id) };
  });
  if ('error' in outcome && outcome.error === 'reuse') await revokeSessionCache(d, outcome.familyId);
  if ('error' in outcome) throw unauthorized(outcome.error === 'reuse' ? 'The refresh token was already used; the session is revoked.' : 'The refresh token is invalid.');
  return outcome.session;
}

/** Revokes the access token presented and its whole refresh family. */
export async function logout(d: IdentityDeps, p: { tenantId: string; userId: string; tokenId: string; sessionId: string; expiresAt: number }, meta: RequestMeta) {
  await withTenant(d.db, p.tenantId, async (trx) => {
    await q.insertRevokedJti(trx, p.tenantId, p.tokenId, new Date(p.expiresAt * 1000));
    await trx.updateTable('refresh_tokens').set({ revoked_at: sql<Date>`now()`, revoked_reason: 'logout' }).where('family_id', '=', p.sessionId).where('revoked_at', 'is', null).execute();
    await recordAudit(trx, p.tenantId, meta, 'auth.logout', { type: 'session', id: p.sessionId });
  });
  await d.stores.cache.set(`jti:${p.tokenId}`, 'revoked', Math.max(1, p.expiresAt - Math.floor(Date.now() / 1000)));
  await revokeSessionCache(d, p.sessionId);
}

/** Every access token of a revoked session fails from now on (the database says so too, after a flush). */
async function revokeSessionCache(d: IdentityDeps, sessionId: string): Promise<void> {
  await d.stores.cache.set(`sess:${sessionId}`, 'revoked', d.tokens.accessTtlSeconds + 60);
}

/** The caller's profile, tenant and memberships. */
export async function me(d: IdentityDeps, tenantId: string, userId: string) {
  return withTenant(d.db, tenantId, async (trx) => {
    const member = await q.findMember(trx, userId);
    const tenant = await q.findTenant(trx, tenantId);
    if (!member || !tenant) throw unauthorized();
    const user = memberRowToUser(member, d.cipher);
    return { user, tenant, role: member.role, memberships: await q.findMembershipsOf(trx, userId) };
  });
}
