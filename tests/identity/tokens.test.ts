import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, auditRows, createUserAs, expectStatus, loginAs, signUpTenant, uniqueTag, type Me, type Problem, type SessionTokens } from '../helpers/identity.ts';

async function refresh(h: Harness, token: string) {
  return api<SessionTokens & Problem>(h, 'POST', '/auth/refresh', { body: { refresh_token: token } });
}

async function me(h: Harness, token: string) {
  return api<Me & Problem>(h, 'GET', '/auth/me', { token });
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

describe('identity: access and refresh tokens', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });

  it('GET /auth/me describes the caller', async () => {
    const t = await signUpTenant(h);
    const u = await createUserAs(h, t.adminToken, 'viewer');
    const res = await me(h, u.token);
    expectStatus(res, 200);
    assert.equal(res.body.user.id, u.userId);
    assert.equal(res.body.user.email, u.email);
    assert.equal(res.body.tenant.id, t.tenantId);
    assert.equal(res.body.role, 'viewer');
    assert.deepEqual(res.body.memberships, [{ tenant_id: t.tenantId, tenant_slug: t.slug, role: 'viewer' }]);
    expectStatus(await api(h, 'GET', '/auth/me'), 401);
  });

  it('GET /auth/me lists every tenant of the account (contract), not only the current one', async () => {
    const t = await signUpTenant(h);
    const second = await api<SessionTokens>(h, 'POST', '/signup', { body: { tenant_slug: `t-${uniqueTag()}`, tenant_name: 'Second', email: t.email, password: t.password } });
    expectStatus(second, 201);
    const res = await me(h, t.adminToken);
    expectStatus(res, 200);
    assert.deepEqual(res.body.memberships.map((m) => m.tenant_id).sort(), [t.tenantId, second.body.tenant.id].sort());
  });

  it('refresh rotates: the new refresh token works, the old one is 401', async () => {
    const t = await signUpTenant(h);
    const r1 = await refresh(h, t.refreshToken);
    expectStatus(r1, 200);
    assert.equal(r1.headers.get('cache-control'), 'no-store');
    assert.notEqual(r1.body.refresh_token, t.refreshToken);
    assert.notEqual(r1.body.access_token, t.adminToken);
    assert.equal(r1.body.user.id, t.adminUserId);
    expectStatus(await me(h, r1.body.access_token), 200);

    const rows = await h.owner.selectFrom('refresh_tokens').selectAll().where('tenant_id', '=', t.tenantId).orderBy('created_at').execute();
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.token_hash, sha256(t.refreshToken));
    assert.ok(rows[0]?.rotated_at, 'the first token is not marked rotated');
    assert.equal(rows[1]?.parent_id, rows[0]?.id);
    assert.equal(rows[1]?.family_id, rows[0]?.family_id);

    const r2 = await refresh(h, r1.body.refresh_token);
    expectStatus(r2, 200);
    expectStatus(await refresh(h, t.refreshToken), 401);
  });

  it('reusing a rotated refresh token revokes the whole family and records auth.refresh_reuse', async () => {
    const t = await signUpTenant(h);
    const r1 = await refresh(h, t.refreshToken);
    expectStatus(r1, 200);
    const r2 = await refresh(h, r1.body.refresh_token);
    expectStatus(r2, 200);
    // A thief replays the first token: the whole session ends.
    const reuse = await refresh(h, t.refreshToken);
    expectStatus(reuse, 401);
    expectStatus(await refresh(h, r2.body.refresh_token), 401, 'the newest token of the family');
    expectStatus(await me(h, r2.body.access_token), 401, 'the newest access token of the family');
    const rows = await h.owner.selectFrom('refresh_tokens').select(['revoked_at', 'revoked_reason']).where('tenant_id', '=', t.tenantId).execute();
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.revoked_at !== null), 'a token of the family is still live');
    assert.ok(rows.some((r) => r.revoked_reason === 'reuse'));
    const audit = await auditRows(h, t.tenantId, 'auth.refresh_reuse');
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actor_id, t.adminUserId);
    // Another session of the same user is untouched.
    const other = await loginAs(h, t.email, t.password);
    expectStatus(await me(h, other.access_token), 200);
    expectStatus(await refresh(h, other.refresh_token), 200);
  });

  it('refuses malformed, unknown and cross-tenant-shaped refresh tokens with 401', async () => {
    const t = await signUpTenant(h);
    const forged = t.refreshToken.slice(0, -4) + (t.refreshToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const token of ['nonsense', forged, `tlr_${'0'.repeat(32)}_${'A'.repeat(43)}`]) {
      expectStatus(await refresh(h, token), 401, token);
    }
    expectStatus(await refresh(h, t.refreshToken), 200, 'the genuine token still works');
  });

  it('logout ends the access token and the refresh token', async () => {
    const t = await signUpTenant(h);
    const u = await createUserAs(h, t.adminToken, 'analyst');
    const out = await api(h, 'POST', '/auth/logout', { token: u.token });
    expectStatus(out, 204);
    expectStatus(await me(h, u.token), 401, 'access token after logout');
    expectStatus(await refresh(h, u.refreshToken), 401, 'refresh token after logout');
    expectStatus(await api(h, 'POST', '/auth/logout', { token: u.token }), 401, 'second logout');
    const revoked = await h.owner.selectFrom('revoked_tokens').select('jti').where('tenant_id', '=', t.tenantId).execute();
    assert.equal(revoked.length, 1);
    assert.equal((await auditRows(h, t.tenantId, 'auth.logout')).length, 1);
    // The admin's session is another one, and still works.
    expectStatus(await me(h, t.adminToken), 200);
  });

  it('a disabled user’s existing access and refresh tokens are 401', async () => {
    const t = await signUpTenant(h);
    const u = await createUserAs(h, t.adminToken, 'viewer');
    expectStatus(await me(h, u.token), 200);
    expectStatus(await api(h, 'PATCH', `/users/${u.userId}`, { token: t.adminToken, body: { disabled: true } }), 200);
    expectStatus(await me(h, u.token), 401, 'access token of a disabled user');
    expectStatus(await refresh(h, u.refreshToken), 401, 'refresh token of a disabled user');
    const live = await h.owner.selectFrom('refresh_tokens').select('id').where('user_id', '=', u.userId).where('revoked_at', 'is', null).execute();
    assert.equal(live.length, 0);
    // Enabled again, the old tokens stay dead; a new login works.
    expectStatus(await api(h, 'PATCH', `/users/${u.userId}`, { token: t.adminToken, body: { disabled: false } }), 200);
    expectStatus(await me(h, u.token), 401);
    const again = await loginAs(h, u.email, u.password);
    expectStatus(await me(h, again.access_token), 200);
  });

  it('a role change ends the user’s existing access tokens; new ones carry the new role', async () => {
    const t = await signUpTenant(h);
    const u = await createUserAs(h, t.adminToken, 'viewer');
    expectStatus(await api(h, 'PATCH', `/users/${u.userId}`, { token: t.adminToken, body: { role: 'admin' } }), 200);
    expectStatus(await me(h, u.token), 401, 'access token issued before the role change');
    const fresh = await loginAs(h, u.email, u.password);
    const res = await me(h, fresh.access_token);
    expectStatus(res, 200);
    assert.equal(res.body.role, 'admin');
    expectStatus(await api(h, 'GET', '/users', { token: fresh.access_token }), 200);
  });

  it('a removed user’s tokens are 401', async () => {
    const t = await signUpTenant(h);
    const u = await createUserAs(h, t.adminToken, 'analyst');
    expectStatus(await api(h, 'DELETE', `/users/${u.userId}`, { token: t.adminToken }), 204);
    expectStatus(await me(h, u.token), 401);
    expectStatus(await refresh(h, u.refreshToken), 401);
  });
});
