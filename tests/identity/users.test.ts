import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, auditRows, createApiKeyAs, createUserAs, expectStatus, randomPassword, signUpTenant, uniqueTag, type Problem, type User, type UserList } from '../helpers/identity.ts';

async function membership(h: Harness, tenantId: string, userId: string) {
  return h.owner.selectFrom('memberships').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
}

/** Every row of a table as text (all columns), as the owner sees it. */
async function tableText(h: Harness, table: string): Promise<string> {
  const r = await sql<{ t: string }>`select coalesce(string_agg(x::text, E'\n'), '') as t from ${sql.table(table)} x`.execute(h.owner);
  return r.rows[0]?.t ?? '';
}

describe('identity: users', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });

  it('an admin creates a user: 201, a membership, an encrypted email, an argon2id hash, an audit row', async () => {
    const t = await signUpTenant(h);
    const email = `Ben.${uniqueTag()}@tideline.test`;
    const password = randomPassword();
    const res = await api<User>(h, 'POST', '/users', { token: t.adminToken, body: { email, password, role: 'analyst', username: `ben.${uniqueTag()}`, name: 'Ben Okafor' } });
    expectStatus(res, 201);
    assert.equal(res.body.email, email);
    assert.equal(res.body.role, 'analyst');
    assert.equal(res.body.status, 'active');
    assert.equal(res.body.last_login_at, null);
    const m = await membership(h, t.tenantId, res.body.id);
    assert.equal(m?.role, 'analyst');
    assert.equal(m?.disabled_at, null);
    const row = await h.owner.selectFrom('users').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    assert.ok(row.email_ciphertext.startsWith('v1.'), row.email_ciphertext);
    assert.ok(!row.email_ciphertext.toLowerCase().includes(email.toLowerCase()));
    assert.ok(!row.email_index.includes(email.toLowerCase()));
    assert.ok(row.password_hash.startsWith('$argon2id$'), row.password_hash);
    const audit = await auditRows(h, t.tenantId, 'user.created');
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actor_id, t.adminUserId);
    assert.equal(audit[0]?.target_id, res.body.id);
  });

  it('lists users in cursor pages with no duplicates and no gaps', async () => {
    const t = await signUpTenant(h);
    const created: string[] = [];
    for (const role of ['analyst', 'viewer', 'admin'] as const) {
      const r = await api<User>(h, 'POST', '/users', { token: t.adminToken, body: { email: `p-${uniqueTag()}@tideline.test`, password: randomPassword(), role } });
      expectStatus(r, 201);
      created.push(r.body.id);
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await api<UserList>(h, 'GET', `/users?limit=2${q}`, { token: t.adminToken });
      expectStatus(page, 200);
      sizes.push(page.body.data.length);
      seen.push(...page.body.data.map((u) => u.id));
      cursor = page.body.next_cursor;
    } while (cursor && sizes.length < 10);
    assert.deepEqual(sizes, [2, 2]);
    assert.equal(new Set(seen).size, seen.length, 'a user appeared twice');
    assert.deepEqual([...seen].sort(), [t.adminUserId, ...created].sort());
    const all = await api<UserList>(h, 'GET', '/users?limit=200', { token: t.adminToken });
    assert.deepEqual(all.body.data.map((u) => u.id), seen, 'pages and one big page disagree on the order');
    assert.equal(all.body.next_cursor, null);
  });

  it('lists newest first, as the contract says', async () => {
    const t = await signUpTenant(h);
    const a = await createUserAs(h, t.adminToken, 'viewer');
    const b = await createUserAs(h, t.adminToken, 'viewer');
    const all = await api<UserList>(h, 'GET', '/users', { token: t.adminToken });
    expectStatus(all, 200);
    assert.deepEqual(all.body.data.map((u) => u.id), [b.userId, a.userId, t.adminUserId]);
  });

  it('filters by role and status', async () => {
    const t = await signUpTenant(h);
    const viewer = await createUserAs(h, t.adminToken, 'viewer');
    const analyst = await createUserAs(h, t.adminToken, 'analyst');
    expectStatus(await api(h, 'PATCH', `/users/${analyst.userId}`, { token: t.adminToken, body: { disabled: true } }), 200);
    const viewers = await api<UserList>(h, 'GET', '/users?role=viewer', { token: t.adminToken });
    assert.deepEqual(viewers.body.data.map((u) => u.id), [viewer.userId]);
    const disabled = await api<UserList>(h, 'GET', '/users?status=disabled', { token: t.adminToken });
    assert.deepEqual(disabled.body.data.map((u) => [u.id, u.status]), [[analyst.userId, 'disabled']]);
    const active = await api<UserList>(h, 'GET', '/users?status=active', { token: t.adminToken });
    assert.deepEqual(active.body.data.map((u) => u.id).sort(), [t.adminUserId, viewer.userId].sort());
  });

  it('reads, updates the role and name, disables and deletes a user, with the rows to match', async () => {
    const t = await signUpTenant(h);
    const u = await createUserAs(h, t.adminToken, 'viewer');
    const got = await api<User>(h, 'GET', `/users/${u.userId}`, { token: t.adminToken });
    expectStatus(got, 200);
    assert.equal(got.body.email, u.email);
    assert.ok(got.body.last_login_at, 'the helper logged in');

    const promoted = await api<User>(h, 'PATCH', `/users/${u.userId}`, { token: t.adminToken, body: { role: 'analyst', name: 'Renamed' } });
    expectStatus(promoted, 200);
    assert.equal(promoted.body.role, 'analyst');
    assert.equal(promoted.body.name, 'Renamed');
    assert.equal((await membership(h, t.tenantId, u.userId))?.role, 'analyst');
    const account = await h.owner.selectFrom('users').select('name').where('id', '=', u.userId).executeTakeFirstOrThrow();
    assert.equal(account.name, 'Renamed');

    const disabled = await api<User>(h, 'PATCH', `/users/${u.userId}`, { token: t.adminToken, body: { disabled: true } });
    expectStatus(disabled, 200);
    assert.equal(disabled.body.status, 'disabled');
    assert.ok((await membership(h, t.tenantId, u.userId))?.disabled_at);

    expectStatus(await api(h, 'DELETE', `/users/${u.userId}`, { token: t.adminToken }), 204);
    assert.equal(await membership(h, t.tenantId, u.userId), undefined);
    expectStatus(await api(h, 'GET', `/users/${u.userId}`, { token: t.adminToken }), 404);
    expectStatus(await api(h, 'DELETE', `/users/${u.userId}`, { token: t.adminToken }), 404);
    const refresh = await h.owner.selectFrom('refresh_tokens').select('id').where('tenant_id', '=', t.tenantId).where('user_id', '=', u.userId).execute();
    assert.equal(refresh.length, 0);
    const actions = (await auditRows(h, t.tenantId)).filter((r) => r.target_id === u.userId).map((r) => r.action);
    assert.deepEqual(actions, ['user.created', 'auth.login', 'user.updated', 'user.updated', 'user.deleted']);
  });

  it('refuses to demote, disable or delete the last enabled admin (409) and changes nothing', async () => {
    const t = await signUpTenant(h);
    const before = await membership(h, t.tenantId, t.adminUserId);
    for (const [method, body] of [['PATCH', { role: 'analyst' }], ['PATCH', { disabled: true }], ['PATCH', { role: 'viewer', disabled: true }], ['DELETE', undefined]] as const) {
      const res = await api<Problem>(h, method, `/users/${t.adminUserId}`, { token: t.adminToken, ...(body ? { body } : {}) });
      expectStatus(res, 409, `${method} ${JSON.stringify(body)}`);
    }
    assert.deepEqual(await membership(h, t.tenantId, t.adminUserId), before);
    expectStatus(await api(h, 'GET', '/users', { token: t.adminToken }), 200, 'the admin token still works');

    // A disabled admin does not count: with a second admin disabled, the first is still the last.
    const second = await createUserAs(h, t.adminToken, 'admin');
    expectStatus(await api(h, 'PATCH', `/users/${second.userId}`, { token: t.adminToken, body: { disabled: true } }), 200);
    expectStatus(await api(h, 'PATCH', `/users/${t.adminUserId}`, { token: t.adminToken, body: { role: 'viewer' } }), 409);
    // Enabled again, the second admin lets the first step down; then the second is the last.
    expectStatus(await api(h, 'PATCH', `/users/${second.userId}`, { token: t.adminToken, body: { disabled: false } }), 200);
    expectStatus(await api(h, 'PATCH', `/users/${t.adminUserId}`, { token: t.adminToken, body: { role: 'viewer' } }), 200);
    const secondLogin = await api<{ access_token: string }>(h, 'POST', '/auth/login', { body: { login: second.email, password: second.password } });
    expectStatus(secondLogin, 200);
    expectStatus(await api(h, 'DELETE', `/users/${second.userId}`, { token: secondLogin.body.access_token }), 409);
    assert.equal((await membership(h, t.tenantId, second.userId))?.role, 'admin');
  });

  it('answers 404 for another tenant’s user, and changes nothing there', async () => {
    const a = await signUpTenant(h);
    const b = await signUpTenant(h);
    const victim = await createUserAs(h, b.adminToken, 'viewer');
    const key = await createApiKeyAs(h, a.adminToken, ['identity:admin']);
    const before = await membership(h, b.tenantId, victim.userId);
    const account = await h.owner.selectFrom('users').selectAll().where('id', '=', victim.userId).executeTakeFirstOrThrow();
    for (const creds of [{ token: a.adminToken }, { apiKey: key.key }]) {
      for (const id of [victim.userId, b.adminUserId]) {
        const get = await api<Problem>(h, 'GET', `/users/${id}`, creds);
        expectStatus(get, 404);
        expectStatus(await api(h, 'PATCH', `/users/${id}`, { ...creds, body: { role: 'admin', name: 'pwned' } }), 404);
        expectStatus(await api(h, 'PATCH', `/users/${id}`, { ...creds, body: { disabled: true } }), 404);
        expectStatus(await api(h, 'DELETE', `/users/${id}`, creds), 404);
      }
    }
    // The same answer as for an id that exists nowhere.
    const missing = await api<Problem>(h, 'GET', `/users/${crypto.randomUUID()}`, { token: a.adminToken });
    const other = await api<Problem>(h, 'GET', `/users/${victim.userId}`, { token: a.adminToken });
    assert.deepEqual({ ...missing.body, instance: null }, { ...other.body, instance: null });

    assert.deepEqual(await membership(h, b.tenantId, victim.userId), before);
    assert.deepEqual(await h.owner.selectFrom('users').selectAll().where('id', '=', victim.userId).executeTakeFirstOrThrow(), account);
    assert.equal((await membership(h, b.tenantId, b.adminUserId))?.role, 'admin');
    assert.equal(await membership(h, a.tenantId, victim.userId), undefined);
    const list = await api<UserList>(h, 'GET', '/users?limit=200', { token: a.adminToken });
    assert.ok(!list.body.data.some((u) => u.id === victim.userId || u.id === b.adminUserId));
    assert.equal((await auditRows(h, b.tenantId)).filter((r) => r.actor_id === a.adminUserId).length, 0);
  });

  it('refuses an email or username already in use, here or in another tenant, in any case (409)', async () => {
    const a = await signUpTenant(h);
    const b = await signUpTenant(h);
    const username = `dup.${uniqueTag()}`;
    const existing = await createUserAs(h, a.adminToken, 'viewer', { username });
    const cases: [string, Record<string, unknown>][] = [
      ['same email, same tenant', { email: existing.email }],
      ['same email, other tenant', { email: existing.email, token: b.adminToken }],
      ['email in upper case', { email: existing.email.toUpperCase() }],
      ['admin email', { email: b.email }],
      ['same username', { email: `x-${uniqueTag()}@tideline.test`, username: username.toUpperCase() }],
    ];
    for (const [what, c] of cases) {
      const { token, ...fields } = c;
      const res = await api<Problem>(h, 'POST', '/users', { token: typeof token === 'string' ? token : a.adminToken, body: { password: randomPassword(), role: 'viewer', ...fields } });
      expectStatus(res, 409, what);
    }
    const users = await h.owner.selectFrom('memberships').select('user_id').where('tenant_id', 'in', [a.tenantId, b.tenantId]).execute();
    assert.equal(users.length, 3, 'a refused create left a membership');
  });

  it('refuses a short password and an unknown role with 400 naming the field', async () => {
    const t = await signUpTenant(h);
    const short = await api<Problem>(h, 'POST', '/users', { token: t.adminToken, body: { email: `s-${uniqueTag()}@tideline.test`, password: 'elevenchars', role: 'viewer' } });
    expectStatus(short, 400);
    assert.ok(short.body.errors?.some((e) => e.name === 'body.password'));
    const role = await api<Problem>(h, 'POST', '/users', { token: t.adminToken, body: { email: `s-${uniqueTag()}@tideline.test`, password: randomPassword(), role: 'owner' } });
    expectStatus(role, 400);
    assert.ok(role.body.errors?.some((e) => e.name === 'body.role'));
    expectStatus(await api(h, 'PATCH', `/users/${t.adminUserId}`, { token: t.adminToken, body: {} }), 400, 'empty patch');
  });

  it('keeps no secret in clear: emails, passwords, refresh tokens, API keys', async () => {
    const t = await signUpTenant(h);
    const u = await createUserAs(h, t.adminToken, 'analyst');
    const k = await createApiKeyAs(h, t.adminToken, ['identity:admin']);
    expectStatus(await api(h, 'GET', '/users', { apiKey: k.key }), 200);

    const users = await h.owner.selectFrom('users').select(['email_ciphertext', 'password_hash']).where('id', 'in', [t.adminUserId, u.userId]).execute();
    assert.equal(users.length, 2);
    for (const r of users) {
      assert.ok(r.email_ciphertext.startsWith('v1.'), r.email_ciphertext);
      assert.ok(r.password_hash.startsWith('$argon2id$'), r.password_hash);
    }
    const refresh = await h.owner.selectFrom('refresh_tokens').select('token_hash').where('tenant_id', '=', t.tenantId).execute();
    assert.ok(refresh.length >= 2);
    for (const r of refresh) {
      assert.match(r.token_hash, /^[0-9a-f]{64}$/);
      assert.notEqual(r.token_hash, t.refreshToken);
    }
    const keyRow = await h.owner.selectFrom('api_keys').selectAll().where('id', '=', k.id).executeTakeFirstOrThrow();
    assert.notEqual(keyRow.key_hash, k.key);
    assert.ok(k.key.startsWith(keyRow.prefix));
    assert.ok(k.key.endsWith(keyRow.last_four));

    // Nothing secret in any column of any identity table (all rows, as text).
    const secrets: [string, string][] = [
      ['admin email', t.email.toLowerCase()], ['user email', u.email.toLowerCase()],
      ['admin password', t.password], ['user password', u.password],
      ['admin refresh token', t.refreshToken], ['user refresh token', u.refreshToken],
      ['API key', k.key], ['API key body', k.key.slice(12, 36)],
    ];
    for (const table of ['users', 'memberships', 'tenants', 'refresh_tokens', 'revoked_tokens', 'api_keys', 'audit_events']) {
      const text = (await tableText(h, table)).toLowerCase();
      for (const [what, secret] of secrets) assert.ok(!text.includes(secret.toLowerCase()), `${what} found in ${table}`);
    }
  });
});
