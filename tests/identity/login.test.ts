import assert from 'node:assert/strict';
import type { Server } from '../../src/server.ts';
import { harness, startTestServer, type Harness } from '../helpers/harness.ts';
import { api, auditRows, createUserAs, expectStatus, randomIp, randomPassword, signUpTenant, uniqueTag, type Problem, type SessionTokens } from '../helpers/identity.ts';

/** The parts of a problem that must not tell an unknown login from a wrong password. */
function comparable(p: Problem): Record<string, unknown> {
  const { instance: _instance, ...rest } = p;
  return rest;
}

/** A harness pointing at another server of the same database (its own limits), with the shared owner connection. */
function on(h: Harness, server: Server): Harness {
  return { ...h, server, config: server.platform.config, url: `${server.url ?? ''}/api/v1` };
}

describe('identity: login', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });

  it('opens a session by email, in any letter case, and records auth.login', async () => {
    const t = await signUpTenant(h);
    const ip = randomIp();
    const res = await api<SessionTokens>(h, 'POST', '/auth/login', { body: { login: t.email.toUpperCase(), password: t.password }, ip });
    expectStatus(res, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.body.user.id, t.adminUserId);
    assert.equal(res.body.tenant.id, t.tenantId);
    assert.ok(res.body.user.last_login_at);
    const rows = await auditRows(h, t.tenantId, 'auth.login');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.actor_id, t.adminUserId);
    assert.equal(rows[0]?.ip, ip);
    const user = await h.owner.selectFrom('users').select('last_login_at').where('id', '=', t.adminUserId).executeTakeFirstOrThrow();
    assert.ok(user.last_login_at);
  });

  it('opens a session by username, in any letter case', async () => {
    const username = `user.${uniqueTag()}`;
    const t = await signUpTenant(h, { username });
    const res = await api<SessionTokens>(h, 'POST', '/auth/login', { body: { login: username.toUpperCase(), password: t.password } });
    expectStatus(res, 200);
    assert.equal(res.body.user.id, t.adminUserId);
    assert.equal(res.body.user.username, username);
  });

  it('answers a wrong password and an unknown login with the same 401, and records auth.login_failed', async () => {
    const t = await signUpTenant(h);
    const wrong = await api<Problem>(h, 'POST', '/auth/login', { body: { login: t.email, password: randomPassword() } });
    const unknown = await api<Problem>(h, 'POST', '/auth/login', { body: { login: `nobody-${uniqueTag()}@tideline.test`, password: randomPassword() } });
    const unknownName = await api<Problem>(h, 'POST', '/auth/login', { body: { login: `nobody.${uniqueTag()}`, password: randomPassword() } });
    for (const r of [wrong, unknown, unknownName]) {
      expectStatus(r, 401);
      assert.equal(r.headers.get('content-type')?.startsWith('application/problem+json'), true);
    }
    assert.deepEqual(comparable(unknown.body), comparable(wrong.body));
    assert.deepEqual(comparable(unknownName.body), comparable(wrong.body));
    assert.equal(unknown.headers.get('www-authenticate'), wrong.headers.get('www-authenticate'));
    assert.doesNotMatch(JSON.stringify(wrong.body), new RegExp(t.adminUserId));

    const failed = await auditRows(h, t.tenantId, 'auth.login_failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.actor_type, 'anonymous');
    assert.equal(failed[0]?.target_id, t.adminUserId);
    assert.equal((await auditRows(h, t.tenantId, 'auth.login')).length, 0);
    assert.doesNotMatch(JSON.stringify(failed), /pw-/, 'a password reached the audit log');
  });

  it('answers a disabled user with the same 401 as a wrong password', async () => {
    const t = await signUpTenant(h);
    const u = await createUserAs(h, t.adminToken, 'analyst');
    expectStatus(await api(h, 'PATCH', `/users/${u.userId}`, { token: t.adminToken, body: { disabled: true } }), 200);
    const disabled = await api<Problem>(h, 'POST', '/auth/login', { body: { login: u.email, password: u.password } });
    const wrong = await api<Problem>(h, 'POST', '/auth/login', { body: { login: u.email, password: randomPassword() } });
    expectStatus(disabled, 401);
    expectStatus(wrong, 401);
    assert.deepEqual(comparable(disabled.body), comparable(wrong.body));
  });

  it('asks an account of several tenants to name one (409), and opens the one named', async () => {
    const t = await signUpTenant(h);
    const second = await api<SessionTokens>(h, 'POST', '/signup', { body: { tenant_slug: `t-${uniqueTag()}`, tenant_name: 'Second', email: t.email, password: t.password } });
    expectStatus(second, 201);
    const res = await api<Problem & { tenants?: string[] }>(h, 'POST', '/auth/login', { body: { login: t.email, password: t.password } });
    expectStatus(res, 409);
    assert.deepEqual([...(res.body.tenants ?? [])].sort(), [t.slug, second.body.tenant.slug].sort());
    const named = await api<SessionTokens>(h, 'POST', '/auth/login', { body: { login: t.email, password: t.password, tenant: second.body.tenant.slug } });
    expectStatus(named, 200);
    assert.equal(named.body.tenant.id, second.body.tenant.id);
    const notMine = await signUpTenant(h);
    const other = await api<Problem>(h, 'POST', '/auth/login', { body: { login: t.email, password: t.password, tenant: notMine.slug } });
    expectStatus(other, 401);
  });

  describe('with a lockout after 3 failures', () => {
    let server: Server;
    let l: Harness;
    before(async () => {
      server = await startTestServer({}, { LOGIN_FAILURES_BEFORE_LOCKOUT: '3', LOGIN_LOCKOUT_SECONDS: '120' });
      l = on(h, server);
    });
    after(async () => {
      await server.close();
    });

    it('locks the account: 429 with Retry-After even with the right password, audited as auth.lockout', async () => {
      const t = await signUpTenant(l);
      for (let i = 1; i <= 3; i++) {
        expectStatus(await api(l, 'POST', '/auth/login', { body: { login: t.email, password: randomPassword() } }), 401, `failure ${i}`);
      }
      const locked = await api<Problem>(l, 'POST', '/auth/login', { body: { login: t.email, password: t.password } });
      expectStatus(locked, 429);
      const retry = Number(locked.headers.get('retry-after'));
      assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 120, `Retry-After ${String(locked.headers.get('retry-after'))}`);
      assert.equal(locked.body.status, 429);
      // In another letter case, from another address: still the same locked account.
      expectStatus(await api(l, 'POST', '/auth/login', { body: { login: t.email.toUpperCase(), password: t.password } }), 429);

      assert.equal((await auditRows(l, t.tenantId, 'auth.login_failed')).length, 3);
      const lockouts = await auditRows(l, t.tenantId, 'auth.lockout');
      assert.equal(lockouts.length, 1);
      assert.equal(lockouts[0]?.target_id, t.adminUserId);
      assert.equal((await auditRows(l, t.tenantId, 'auth.login')).length, 0);
    });

    it('counts failures per account: another account is not locked', async () => {
      const a = await signUpTenant(l);
      const b = await signUpTenant(l);
      for (let i = 0; i < 3; i++) await api(l, 'POST', '/auth/login', { body: { login: a.email, password: randomPassword() } });
      expectStatus(await api(l, 'POST', '/auth/login', { body: { login: a.email, password: a.password } }), 429);
      expectStatus(await api(l, 'POST', '/auth/login', { body: { login: b.email, password: b.password } }), 200);
    });

    it('a success resets the count of failures', async () => {
      const t = await signUpTenant(l);
      for (let i = 0; i < 2; i++) expectStatus(await api(l, 'POST', '/auth/login', { body: { login: t.email, password: randomPassword() } }), 401);
      expectStatus(await api(l, 'POST', '/auth/login', { body: { login: t.email, password: t.password } }), 200);
      for (let i = 0; i < 2; i++) expectStatus(await api(l, 'POST', '/auth/login', { body: { login: t.email, password: randomPassword() } }), 401);
      expectStatus(await api(l, 'POST', '/auth/login', { body: { login: t.email, password: t.password } }), 200);
      assert.equal((await auditRows(l, t.tenantId, 'auth.lockout')).length, 0);
    });
  });

  describe('with a per-address limit of 3 logins a minute', () => {
    let server: Server;
    let l: Harness;
    before(async () => {
      server = await startTestServer({}, { RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE: '3' });
      l = on(h, server);
    });
    after(async () => {
      await server.close();
    });

    it('answers 429 with Retry-After past the limit, for that address only', async () => {
      const t = await signUpTenant(l);
      const ip = randomIp();
      for (let i = 1; i <= 3; i++) {
        expectStatus(await api(l, 'POST', '/auth/login', { body: { login: `nobody-${uniqueTag()}@tideline.test`, password: randomPassword() }, ip }), 401, `attempt ${i}`);
      }
      const limited = await api<Problem>(l, 'POST', '/auth/login', { body: { login: t.email, password: t.password }, ip });
      expectStatus(limited, 429);
      const retry = Number(limited.headers.get('retry-after'));
      assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 60, `Retry-After ${String(limited.headers.get('retry-after'))}`);
      assert.equal((await auditRows(l, t.tenantId, 'auth.login')).length, 0);
      // Another address is not limited, and the account itself is not locked.
      expectStatus(await api(l, 'POST', '/auth/login', { body: { login: t.email, password: t.password }, ip: randomIp() }), 200);
    });
  });
});
