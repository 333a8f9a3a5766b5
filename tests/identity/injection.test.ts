import assert from 'node:assert/strict';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, createApiKeyAs, createUserAs, expectStatus, randomPassword, signUpTenant, uniqueTag, type ApiResponse, type SessionTokens, type SignedUpTenant, type User } from '../helpers/identity.ts';

const PAYLOADS = ["' or 1=1 --", "' OR '1'='1", '1; drop table users; --', "x' union select id, password_hash from users --"];

/** A cursor shaped like the API's own (base64url JSON [timestamp, id]) around a hostile value. */
function craftedCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

describe('identity: SQL injection through every string input', () => {
  let h: Harness;
  let a: SignedUpTenant;
  let b: SignedUpTenant;
  let bIds: Set<string>;

  before(async () => {
    h = await harness();
    a = await signUpTenant(h);
    b = await signUpTenant(h);
    const bUser = await createUserAs(h, b.adminToken, 'viewer');
    const bKey = await createApiKeyAs(h, b.adminToken, ['analytics:read']);
    bIds = new Set([b.tenantId, b.adminUserId, bUser.userId, bKey.id]);
  });

  /** A refusal (400, 401, 404) or a 200 with nothing of tenant B; never a 500, never database text. */
  function safe(res: ApiResponse<unknown>, what: string): void {
    assert.ok([200, 400, 401, 404].includes(res.status), `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    const text = JSON.stringify(res.body);
    for (const id of bIds) assert.ok(!text.includes(id), `${what}: tenant B's ${id} leaked`);
    assert.doesNotMatch(text, /syntax error|invalid input syntax|out of range|relation "|column "|\$argon2/i, `${what}: database text leaked`);
  }

  for (const p of PAYLOADS) {
    const q = encodeURIComponent(p);
    it(`list filters refuse ${JSON.stringify(p)} with 400`, async () => {
      for (const path of [`/audit-events?action=${q}`, `/audit-events?actor_id=${q}`, `/audit-events?from=${q}`, `/audit-events?to=${q}`, `/users?role=${q}`, `/users?status=${q}`, `/api-keys?status=${q}`, `/users?limit=${q}`]) {
        const res = await api(h, 'GET', path, { token: a.adminToken });
        safe(res, path);
        expectStatus(res, 400, path);
      }
    });

    it(`path ids refuse ${JSON.stringify(p)} with 400`, async () => {
      for (const [method, path] of [['GET', `/users/${q}`], ['PATCH', `/users/${q}`], ['DELETE', `/users/${q}`], ['GET', `/api-keys/${q}`], ['DELETE', `/api-keys/${q}`]] as const) {
        const res = await api(h, method, path, { token: a.adminToken, ...(method === 'PATCH' ? { body: { name: 'x' } } : {}) });
        safe(res, `${method} ${path}`);
        expectStatus(res, 400, `${method} ${path}`);
      }
    });

    it(`cursors refuse ${JSON.stringify(p)}, raw or wrapped like a real cursor, with 400`, async () => {
      const cursors = [p, craftedCursor(new Date().toISOString(), p), craftedCursor(p, crypto.randomUUID())];
      for (const c of cursors) {
        for (const path of ['/users', '/api-keys', '/audit-events']) {
          const res = await api(h, 'GET', `${path}?cursor=${encodeURIComponent(c)}`, { token: a.adminToken });
          safe(res, `${path} cursor ${c}`);
          expectStatus(res, 400, `${path} cursor ${c}`);
        }
      }
    });

    it(`credentials refuse ${JSON.stringify(p)} with 401 or 400`, async () => {
      const login = await api(h, 'POST', '/auth/login', { body: { login: p, password: p } });
      safe(login, 'login');
      expectStatus(login, 401, 'login');
      const email = await api(h, 'POST', '/auth/login', { body: { login: `${p}@tideline.test`, password: randomPassword() } });
      expectStatus(email, 401, 'login by email');
      const tenant = await api(h, 'POST', '/auth/login', { body: { login: a.email, password: a.password, tenant: p } });
      safe(tenant, 'login tenant');
      expectStatus(tenant, 400, 'login tenant');
      const refresh = await api(h, 'POST', '/auth/refresh', { body: { refresh_token: p } });
      expectStatus(refresh, 401, 'refresh');
      const forgedRefresh = await api(h, 'POST', '/auth/refresh', { body: { refresh_token: `tlr_${b.tenantId.replaceAll('-', '')}_${p}` } });
      expectStatus(forgedRefresh, 401, 'refresh shaped like tenant B’s');
      const key = await api(h, 'GET', '/users', { apiKey: p });
      expectStatus(key, 401, 'API key');
      const bearer = await api(h, 'GET', '/users', { token: p.replaceAll(' ', '') });
      expectStatus(bearer, 401, 'bearer');
    });
  }

  it('refuses a cursor whose timestamp the database cannot hold with 400, not 500', async () => {
    for (const at of ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z']) {
      for (const path of ['/users', '/api-keys', '/audit-events']) {
        const res = await api(h, 'GET', `${path}?cursor=${craftedCursor(at, crypto.randomUUID())}`, { token: a.adminToken });
        safe(res, `${path} cursor at ${at}`);
        expectStatus(res, 400, `${path} cursor at ${at}`);
      }
    }
  });

  it('stores free-text fields literally (parameterized), and they stay in their tenant', async () => {
    const p = PAYLOADS[0] ?? '';
    const slug = `t-${uniqueTag()}`;
    const signup = await api<SessionTokens>(h, 'POST', '/signup', { body: { tenant_slug: slug, tenant_name: p, email: `inj-${uniqueTag()}@tideline.test`, password: randomPassword(), name: p } });
    expectStatus(signup, 201);
    assert.equal(signup.body.tenant.name, p);
    assert.equal(signup.body.user.name, p);
    const badSlug = await api(h, 'POST', '/signup', { body: { tenant_slug: p, tenant_name: 'x', email: `inj-${uniqueTag()}@tideline.test`, password: randomPassword() } });
    expectStatus(badSlug, 400);

    const user = await api<User>(h, 'POST', '/users', { token: a.adminToken, body: { email: `inj-${uniqueTag()}@tideline.test`, password: p.padEnd(16, '!'), role: 'viewer', name: p } });
    expectStatus(user, 201);
    const renamed = await api<User>(h, 'PATCH', `/users/${user.body.id}`, { token: a.adminToken, body: { name: PAYLOADS[1] ?? '' } });
    expectStatus(renamed, 200);
    assert.equal(renamed.body.name, PAYLOADS[1]);
    const key = await api(h, 'POST', '/api-keys', { token: a.adminToken, body: { name: PAYLOADS[2] ?? '', scopes: ['analytics:read'] } });
    expectStatus(key, 201);

    const tenant = await h.owner.selectFrom('tenants').select('name').where('slug', '=', slug).executeTakeFirstOrThrow();
    assert.equal(tenant.name, p);
    const names = await h.owner.selectFrom('users').select('name').where('id', 'in', [user.body.id, signup.body.user.id]).execute();
    assert.deepEqual(names.map((n) => n.name).sort(), [PAYLOADS[1], p].sort());
    // Tenant B is untouched: same members, same keys, its admin still works.
    const bMembers = await h.owner.selectFrom('memberships').select('user_id').where('tenant_id', '=', b.tenantId).execute();
    assert.equal(bMembers.length, 2);
    const bKeys = await h.owner.selectFrom('api_keys').select('revoked_at').where('tenant_id', '=', b.tenantId).execute();
    assert.deepEqual(bKeys, [{ revoked_at: null }]);
    expectStatus(await api(h, 'GET', '/users', { token: b.adminToken }), 200);
  });
});
