import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, auditRows, createApiKeyAs, expectStatus, signUpTenant, type ApiKey, type ApiKeyCreated, type ApiKeyList, type Problem, type SignedUpTenant, type UserList } from '../helpers/identity.ts';

const KEY_SHAPE = /^tl_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/;

/** Polls until `check` holds or the time is up. */
async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

describe('identity: API keys', () => {
  let h: Harness;
  let t: SignedUpTenant;
  before(async () => {
    h = await harness();
    t = await signUpTenant(h);
  });

  it('shows the secret once, at creation, and never again', async () => {
    const res = await api<ApiKeyCreated>(h, 'POST', '/api-keys', { token: t.adminToken, body: { name: 'Nightly export', scopes: ['analytics:read', 'identity:admin'] } });
    expectStatus(res, 201);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const k = res.body;
    assert.match(k.key, KEY_SHAPE);
    assert.ok(k.key.startsWith(k.prefix));
    assert.ok(k.key.endsWith(k.last_four));
    assert.equal(k.status, 'active');
    assert.equal(k.created_by, t.adminUserId);
    assert.deepEqual([...k.scopes].sort(), ['analytics:read', 'identity:admin']);

    const got = await api<ApiKey>(h, 'GET', `/api-keys/${k.id}`, { token: t.adminToken });
    expectStatus(got, 200);
    assert.equal(Object.hasOwn(got.body, 'key'), false);
    assert.ok(!JSON.stringify(got.body).includes(k.key.slice(12, 36)));
    const list = await api<ApiKeyList>(h, 'GET', '/api-keys?limit=200', { token: t.adminToken });
    expectStatus(list, 200);
    const listed = list.body.data.find((x) => x.id === k.id);
    assert.ok(listed);
    for (const item of list.body.data) assert.equal(Object.hasOwn(item, 'key'), false);
    assert.ok(!JSON.stringify(list.body).includes(k.key.slice(12, 36)));

    const row = await h.owner.selectFrom('api_keys').selectAll().where('id', '=', k.id).executeTakeFirstOrThrow();
    assert.equal(row.tenant_id, t.tenantId);
    assert.notEqual(row.key_hash, k.key);
    const audit = await auditRows(h, t.tenantId, 'api_key.created');
    assert.ok(audit.some((a) => a.target_id === k.id));
    assert.ok(!JSON.stringify(audit).includes(k.key));
  });

  it('an Idempotency-Key replays the same key (secret included) and stores one row', async () => {
    const idem = `idem-${crypto.randomUUID()}`;
    const body = { name: `idem-${idem}`, scopes: ['analytics:read'] };
    const first = await api<ApiKeyCreated>(h, 'POST', '/api-keys', { token: t.adminToken, body, headers: { 'Idempotency-Key': idem } });
    const again = await api<ApiKeyCreated>(h, 'POST', '/api-keys', { token: t.adminToken, body, headers: { 'Idempotency-Key': idem } });
    expectStatus(first, 201);
    expectStatus(again, 201);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.key, first.body.key);
    const rows = await h.owner.selectFrom('api_keys').select('id').where('tenant_id', '=', t.tenantId).where('name', '=', body.name).execute();
    assert.equal(rows.length, 1);
  });

  it('the idempotency store keeps neither the API key nor a user email in clear', async () => {
    const key = await api<ApiKeyCreated>(h, 'POST', '/api-keys', { token: t.adminToken, body: { name: 'stored', scopes: ['analytics:read'] }, headers: { 'Idempotency-Key': crypto.randomUUID() } });
    expectStatus(key, 201);
    const email = `idem-${crypto.randomUUID()}@tideline.test`;
    const user = await api(h, 'POST', '/users', { token: t.adminToken, body: { email, password: `pw-${crypto.randomUUID()}`, role: 'viewer' }, headers: { 'Idempotency-Key': crypto.randomUUID() } });
    expectStatus(user, 201);
    const r = await sql<{ t: string | null }>`select string_agg(x::text, E'\n') as t from idempotency_keys x where tenant_id = ${t.tenantId}`.execute(h.owner);
    const stored = r.rows[0]?.t ?? '';
    const leaks = [
      ...(stored.includes(key.body.key.slice(12, 36)) ? ['the API key secret'] : []),
      ...(stored.toLowerCase().includes(email) ? ['a user email'] : []),
    ];
    assert.deepEqual(leaks, [], `idempotency_keys.response_body holds in clear: ${leaks.join(', ')}`);
  });

  it('X-API-Key works on an operation whose scopes it holds, as its own tenant', async () => {
    const own = await signUpTenant(h);
    const k = await createApiKeyAs(h, own.adminToken, ['identity:admin']);
    const res = await api<UserList>(h, 'GET', '/users', { apiKey: k.key });
    expectStatus(res, 200);
    assert.deepEqual(res.body.data.map((u) => u.id), [own.adminUserId]);
    // Changes made with a key are audited with the key as the actor.
    const created = await api<{ id: string }>(h, 'POST', '/api-keys', { apiKey: k.key, body: { name: 'made by a key', scopes: ['analytics:read'] } });
    expectStatus(created, 201);
    const audit = (await auditRows(h, own.tenantId, 'api_key.created')).find((a) => a.target_id === created.body.id);
    assert.equal(audit?.actor_type, 'api_key');
    assert.equal(audit?.actor_id, k.id);
    const row = await h.owner.selectFrom('api_keys').select('created_by').where('id', '=', created.body.id).executeTakeFirstOrThrow();
    assert.equal(row.created_by, null);
  });

  it('revoking answers 204, the key is 401 at once, stays listed as revoked, and a second revoke is 204', async () => {
    const k = await createApiKeyAs(h, t.adminToken, ['identity:admin']);
    expectStatus(await api(h, 'GET', '/users', { apiKey: k.key }), 200, 'before revoking (and now cached)');
    expectStatus(await api(h, 'DELETE', `/api-keys/${k.id}`, { token: t.adminToken }), 204);
    expectStatus(await api(h, 'GET', '/users', { apiKey: k.key }), 401, 'after revoking');
    const got = await api<ApiKey>(h, 'GET', `/api-keys/${k.id}`, { token: t.adminToken });
    assert.equal(got.body.status, 'revoked');
    assert.ok(got.body.revoked_at);
    const revoked = await api<ApiKeyList>(h, 'GET', '/api-keys?status=revoked&limit=200', { token: t.adminToken });
    assert.ok(revoked.body.data.some((x) => x.id === k.id));
    const active = await api<ApiKeyList>(h, 'GET', '/api-keys?status=active&limit=200', { token: t.adminToken });
    assert.ok(!active.body.data.some((x) => x.id === k.id));
    const row = await h.owner.selectFrom('api_keys').select('revoked_at').where('id', '=', k.id).executeTakeFirstOrThrow();
    assert.ok(row.revoked_at);
    expectStatus(await api(h, 'DELETE', `/api-keys/${k.id}`, { token: t.adminToken }), 204);
    const again = await h.owner.selectFrom('api_keys').select('revoked_at').where('id', '=', k.id).executeTakeFirstOrThrow();
    assert.deepEqual(again.revoked_at, row.revoked_at, 'a second revoke moved revoked_at');
    assert.equal((await auditRows(h, t.tenantId, 'api_key.revoked')).filter((a) => a.target_id === k.id).length, 2);
  });

  it('sets last_used_at after use', async () => {
    const k = await createApiKeyAs(h, t.adminToken, ['identity:admin']);
    const before = await api<ApiKey>(h, 'GET', `/api-keys/${k.id}`, { token: t.adminToken });
    assert.equal(before.body.last_used_at, null);
    expectStatus(await api(h, 'GET', '/users', { apiKey: k.key }), 200);
    const set = await eventually(async () => {
      const r = await h.owner.selectFrom('api_keys').select('last_used_at').where('id', '=', k.id).executeTakeFirstOrThrow();
      return r.last_used_at !== null;
    });
    assert.ok(set, 'last_used_at was never set');
    const after = await api<ApiKey>(h, 'GET', `/api-keys/${k.id}`, { token: t.adminToken });
    assert.ok(after.body.last_used_at);
  });

  it('an expired key is 401 and listed as expired; an expiry in the past is 422', async () => {
    const past = await api<Problem>(h, 'POST', '/api-keys', { token: t.adminToken, body: { name: 'past', scopes: ['identity:admin'], expires_at: new Date(Date.now() - 1000).toISOString() } });
    expectStatus(past, 422);
    assert.ok(past.body.errors?.some((e) => e.name === 'body.expires_at'));
    // Shapes the contract's date-time accepts but a Date or a stored row cannot carry: 400, nothing stored.
    for (const expires_at of ['9999-12-31T23:59:60Z', '2099-06-30T23:59:60Z', '9999-12-31T23:59:59-01:00']) {
      const odd = await api<Problem>(h, 'POST', '/api-keys', { token: t.adminToken, body: { name: `odd ${expires_at}`, scopes: ['identity:admin'], expires_at } });
      expectStatus(odd, 400, expires_at);
      assert.ok(odd.body.errors?.some((e) => e.name === 'body.expires_at'));
    }
    const odd = await h.owner.selectFrom('api_keys').select('id').where('tenant_id', '=', t.tenantId).where('name', 'like', 'odd %').execute();
    assert.equal(odd.length, 0);
    expectStatus(await api(h, 'GET', '/api-keys?limit=200', { token: t.adminToken }), 200, 'the list still renders');

    const res = await api<ApiKeyCreated>(h, 'POST', '/api-keys', { token: t.adminToken, body: { name: 'short-lived', scopes: ['identity:admin'], expires_at: new Date(Date.now() + 2500).toISOString() } });
    expectStatus(res, 201);
    expectStatus(await api(h, 'GET', '/users', { apiKey: res.body.key }), 200, 'before expiry');
    await sleep(Math.max(0, Date.parse(res.body.expires_at ?? '') - Date.now()) + 200);
    expectStatus(await api(h, 'GET', '/users', { apiKey: res.body.key }), 401, 'after expiry');
    const got = await api<ApiKey>(h, 'GET', `/api-keys/${res.body.id}`, { token: t.adminToken });
    assert.equal(got.body.status, 'expired');
  });

  it('lists keys in cursor pages, newest first, with no duplicates and no gaps', async () => {
    const own = await signUpTenant(h);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createApiKeyAs(h, own.adminToken, ['analytics:read'])).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await api<ApiKeyList>(h, 'GET', `/api-keys?limit=2${q}`, { token: own.adminToken });
      expectStatus(page, 200);
      seen.push(...page.body.data.map((k) => k.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 2);
    assert.deepEqual(seen, [...ids].reverse());
  });

  it('another tenant’s key is 404 to read and to revoke, and keeps working', async () => {
    const other = await signUpTenant(h);
    const theirs = await createApiKeyAs(h, other.adminToken, ['identity:admin']);
    expectStatus(await api(h, 'GET', `/api-keys/${theirs.id}`, { token: t.adminToken }), 404);
    expectStatus(await api(h, 'DELETE', `/api-keys/${theirs.id}`, { token: t.adminToken }), 404);
    const row = await h.owner.selectFrom('api_keys').select('revoked_at').where('id', '=', theirs.id).executeTakeFirstOrThrow();
    assert.equal(row.revoked_at, null);
    const list = await api<ApiKeyList>(h, 'GET', '/api-keys?limit=200', { token: t.adminToken });
    assert.ok(!list.body.data.some((k) => k.id === theirs.id));
    const users = await api<UserList>(h, 'GET', '/users', { apiKey: theirs.key });
    expectStatus(users, 200);
    assert.deepEqual(users.body.data.map((u) => u.id), [other.adminUserId]);
  });
});
