import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { call, expectStatus, obj, str, uniqueEmail, type IsolationContext, type IsolationRegistry } from '../../helpers/isolation.ts';

const ORIGINAL_NAME = 'Original Name of A';

/** A fresh analyst in A's tenant, made by A's admin; answers its id. */
async function analystOfA(ctx: IsolationContext): Promise<string> {
  const res = await ctx.a.api('post', '/users', { body: { email: uniqueEmail('a-analyst'), password: 'analyst-password-42', role: 'analyst', name: ORIGINAL_NAME } });
  expectStatus(res, 201, 'A creates a user');
  return str(res.body, 'id');
}

/** A fresh API key of A's (scope identity:admin, so it can prove it still works); answers id and secret. */
async function keyOfA(ctx: IsolationContext): Promise<{ id: string; key: string }> {
  const res = await ctx.a.api('post', '/api-keys', { body: { name: 'key of A', scopes: ['identity:admin'] } });
  expectStatus(res, 201, 'A creates an API key');
  return { id: str(res.body, 'id'), key: str(res.body, 'key') };
}

/** A still sees its user, with the role, status and name it was created with. */
async function userIntact(ctx: IsolationContext, userId: string): Promise<void> {
  const res = await ctx.a.api('get', `/users/${userId}`);
  expectStatus(res, 200, 'A reads its user after B\'s attempt');
  const u = obj(res.body);
  assert.deepEqual({ role: u.role, status: u.status, name: u.name }, { role: 'analyst', status: 'active', name: ORIGINAL_NAME });
}

/** Every id on A's first page of a list (A's lists here are short). */
async function idsOfA(ctx: IsolationContext, path: string, query: Record<string, string> = {}): Promise<string[]> {
  const res = await ctx.a.api('get', path, { query: { limit: '200', ...query } });
  expectStatus(res, 200, `A lists ${path}`);
  const data = obj(res.body).data;
  assert.ok(Array.isArray(data));
  return data.map((item) => str(item, 'id'));
}

/** The tenants a row with this id belongs to, read as the owner past RLS. */
async function tenantsOf(ctx: IsolationContext, table: 'memberships' | 'api_keys', id: string): Promise<string[]> {
  const column = sql.ref(table === 'memberships' ? 'user_id' : 'id');
  const r = await sql<{ tenant_id: string }>`select tenant_id from ${sql.table(table)} where ${column} = ${id}`.execute(ctx.h.owner);
  return r.rows.map((x) => x.tenant_id);
}

/** identity: users, API keys, the audit log; sessions and sign-up are exempt (below, with why). */
export const identityIsolation: IsolationRegistry = {
  signUp: { exempt: 'public: creates a new tenant; the caller has no tenant yet, so there is none of another\'s to reach' },
  login: { exempt: 'public: the credentials choose the tenant; a tenant the account is not a member of gets 401 (identity tests)' },
  refreshSession: { exempt: 'public: the refresh token alone names its session and tenant; no tenant or resource id is sent' },
  logout: { exempt: 'acts only on the caller\'s own session (the token\'s jti and session); the request names no resource' },
  getMe: { exempt: 'describes only the caller\'s own session and account; the request names no resource' },
  getJwks: { exempt: 'public: the keys that verify access tokens, the same for every tenant, no tenant data' },

  getUser: {
    expect: 'not-found',
    setup: async (ctx) => ({ params: { userId: await analystOfA(ctx) } }),
  },
  updateUser: {
    expect: 'not-found',
    setup: async (ctx) => ({ params: { userId: await analystOfA(ctx) }, body: { role: 'admin', disabled: true, name: 'Renamed by B' } }),
    verifyUnchanged: (ctx, s) => userIntact(ctx, s.params?.userId ?? ''),
  },
  deleteUser: {
    expect: 'not-found',
    setup: async (ctx) => ({ params: { userId: await analystOfA(ctx) } }),
    verifyUnchanged: (ctx, s) => userIntact(ctx, s.params?.userId ?? ''),
  },
  listUsers: {
    expect: 'empty-page',
    setup: async (ctx) => ({ query: { limit: '200' }, foreignIds: [ctx.a.adminId, await analystOfA(ctx)] }),
  },
  createUser: {
    expect: 'own-tenant-only',
    setup: () => Promise.resolve({ body: { email: uniqueEmail('b-user'), password: 'b-user-password-42', role: 'analyst', name: 'User of B' } }),
    verifyInvisible: async (ctx, id) => {
      expectStatus(await ctx.a.api('get', `/users/${id}`), 404, 'A reads the user B created');
      assert.ok(!(await idsOfA(ctx, '/users')).includes(id), 'A lists the user B created');
      assert.deepEqual(await tenantsOf(ctx, 'memberships', id), [ctx.b.id]);
    },
  },

  getApiKey: {
    expect: 'not-found',
    setup: async (ctx) => ({ params: { keyId: (await keyOfA(ctx)).id } }),
  },
  revokeApiKey: {
    expect: 'not-found',
    setup: async (ctx) => {
      const k = await keyOfA(ctx);
      return { params: { keyId: k.id }, data: { key: k.key } };
    },
    verifyUnchanged: async (ctx, s) => {
      const keyId = s.params?.keyId ?? '';
      const res = await ctx.a.api('get', `/api-keys/${keyId}`);
      expectStatus(res, 200, 'A reads its key after B\'s attempt');
      assert.deepEqual({ status: obj(res.body).status, revoked_at: obj(res.body).revoked_at }, { status: 'active', revoked_at: null });
      // The key still authenticates.
      expectStatus(await call(ctx.h.url, 'get', `/api-keys/${keyId}`, { kind: 'apiKey', key: s.data?.key ?? '' }), 200, 'A\'s key after B\'s revoke');
      // Using it stamps last_used_at in the background: wait for that, so it cannot land inside a later case's check.
      for (let i = 0; i < 50; i++) {
        const r = await sql<{ used: boolean }>`select last_used_at is not null as used from api_keys where id = ${keyId}`.execute(ctx.h.owner);
        if (r.rows[0]?.used) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.fail('last_used_at of A\'s key never moved');
    },
  },
  listApiKeys: {
    expect: 'empty-page',
    setup: async (ctx) => ({ query: { limit: '200' }, foreignIds: [ctx.a.apiKeyId, (await keyOfA(ctx)).id] }),
  },
  createApiKey: {
    expect: 'own-tenant-only',
    setup: () => Promise.resolve({ body: { name: 'key made by B', scopes: ['analytics:read'] } }),
    verifyInvisible: async (ctx, id) => {
      expectStatus(await ctx.a.api('get', `/api-keys/${id}`), 404, 'A reads the key B created');
      assert.ok(!(await idsOfA(ctx, '/api-keys')).includes(id), 'A lists the key B created');
      assert.deepEqual(await tenantsOf(ctx, 'api_keys', id), [ctx.b.id]);
    },
  },

  listAuditEvents: {
    expect: 'empty-page',
    setup: async (ctx) => {
      await analystOfA(ctx);
      // B makes users too, so its own user.created events fill its page; A's must not.
      const ids = await idsOfA(ctx, '/audit-events', { action: 'user.created' });
      return { query: { action: 'user.created', limit: '200' }, foreignIds: ids };
    },
  },
};
