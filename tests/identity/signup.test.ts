import assert from 'node:assert/strict';
import { ACCOUNT_EMAIL } from '../../src/identity/index.ts';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, auditRows, expectStatus, randomPassword, signUpTenant, uniqueTag, type Me, type Problem, type SessionTokens } from '../helpers/identity.ts';

function signUpBody(over: Record<string, unknown> = {}) {
  const tag = uniqueTag();
  return { tenant_slug: `t-${tag}`, tenant_name: `Tenant ${tag}`, email: `su-${tag}@tideline.test`, password: randomPassword(), ...over };
}

async function tenantCount(h: Harness, slug: string): Promise<number> {
  const rows = await h.owner.selectFrom('tenants').select('id').where('slug', '=', slug).execute();
  return rows.length;
}

async function accountsWithEmail(h: Harness, email: string) {
  const index = h.server.platform.cipher.blindIndex(email, 'email', ACCOUNT_EMAIL);
  return h.owner.selectFrom('users').select(['id', 'password_hash']).where('email_index', '=', index).execute();
}

describe('identity: sign-up', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });

  it('creates the tenant, its admin and a session, and answers a contract-valid body', async () => {
    // The test server validates every answer against the contract: a body that did not match
    // SessionTokens would have been a 500, never this 201.
    assert.equal(h.config.validateResponses, true);
    const username = `Ana.${uniqueTag()}`;
    const input = signUpBody({ username, name: 'Ana López' });
    const res = await api<SessionTokens>(h, 'POST', '/signup', { body: input });
    expectStatus(res, 201);
    const s = res.body;
    assert.equal(s.token_type, 'Bearer');
    assert.ok(s.expires_in > 0 && s.refresh_expires_in > 0);
    assert.equal(s.tenant.slug, input.tenant_slug);
    assert.equal(s.tenant.name, input.tenant_name);
    assert.equal(s.user.email, input.email);
    assert.equal(s.user.username, username.toLowerCase());
    assert.equal(s.user.name, 'Ana López');
    assert.equal(s.user.role, 'admin');
    assert.equal(s.user.status, 'active');
    assert.equal(Object.hasOwn(s.user, 'password'), false);

    const tenant = await h.owner.selectFrom('tenants').selectAll().where('id', '=', s.tenant.id).executeTakeFirstOrThrow();
    assert.equal(tenant.slug, input.tenant_slug);
    const membership = await h.owner.selectFrom('memberships').selectAll().where('tenant_id', '=', s.tenant.id).execute();
    assert.deepEqual(membership.map((m) => [m.user_id, m.role, m.disabled_at]), [[s.user.id, 'admin', null]]);
    const accounts = await accountsWithEmail(h, input.email);
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0]?.id, s.user.id);
    const refresh = await h.owner.selectFrom('refresh_tokens').selectAll().where('tenant_id', '=', s.tenant.id).execute();
    assert.equal(refresh.length, 1);
    assert.equal(refresh[0]?.user_id, s.user.id);
    const audit = await auditRows(h, s.tenant.id, 'tenant.created');
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actor_id, s.user.id);

    const me = await api<Me>(h, 'GET', '/auth/me', { token: s.access_token });
    expectStatus(me, 200);
    assert.equal(me.body.tenant.id, s.tenant.id);
    assert.equal(me.body.role, 'admin');
  });

  it('refuses a taken slug with 409 and creates nothing', async () => {
    const first = await signUpTenant(h);
    const input = signUpBody({ tenant_slug: first.slug });
    const res = await api<Problem>(h, 'POST', '/signup', { body: input });
    expectStatus(res, 409);
    assert.equal(res.headers.get('content-type')?.startsWith('application/problem+json'), true);
    assert.equal(res.body.status, 409);
    assert.equal(await tenantCount(h, first.slug), 1);
    assert.equal((await accountsWithEmail(h, input.email)).length, 0, 'the rolled-back sign-up left an account');
  });

  it('refuses an existing email with another password (409), in any letter case, and creates nothing', async () => {
    const first = await signUpTenant(h);
    const before = await accountsWithEmail(h, first.email);
    for (const email of [first.email, first.email.toUpperCase()]) {
      const input = signUpBody({ email, password: randomPassword() });
      const res = await api<Problem>(h, 'POST', '/signup', { body: input });
      expectStatus(res, 409, email);
      assert.doesNotMatch(JSON.stringify(res.body), /argon2|password_hash/);
      assert.equal(await tenantCount(h, input.tenant_slug), 0);
    }
    assert.deepEqual(await accountsWithEmail(h, first.email), before, 'the account changed');
  });

  it('attaches a new tenant to an existing account that proves its password', async () => {
    const first = await signUpTenant(h);
    const input = signUpBody({ email: first.email, password: first.password });
    const res = await api<SessionTokens>(h, 'POST', '/signup', { body: input });
    expectStatus(res, 201);
    assert.equal(res.body.user.id, first.adminUserId);
    assert.notEqual(res.body.tenant.id, first.tenantId);
    const memberships = await h.owner.selectFrom('memberships').select(['tenant_id', 'role']).where('user_id', '=', first.adminUserId).orderBy('created_at').execute();
    assert.deepEqual(memberships, [{ tenant_id: first.tenantId, role: 'admin' }, { tenant_id: res.body.tenant.id, role: 'admin' }]);
    assert.equal((await accountsWithEmail(h, first.email)).length, 1);
  });

  it('refuses a password under 12 characters with 400 naming body.password', async () => {
    const input = signUpBody({ password: 'short-pw-11' });
    assert.equal(input.password.length, 11);
    const res = await api<Problem>(h, 'POST', '/signup', { body: input });
    expectStatus(res, 400);
    assert.ok(res.body.errors?.some((e) => e.name === 'body.password'), JSON.stringify(res.body));
    assert.equal(await tenantCount(h, input.tenant_slug), 0);
    assert.equal((await accountsWithEmail(h, input.email)).length, 0);
  });

  it('refuses malformed input with 400 naming each field', async () => {
    const res = await api<Problem>(h, 'POST', '/signup', { body: { tenant_slug: 'Bad Slug!', tenant_name: '', email: 'not-an-email', password: randomPassword() } });
    expectStatus(res, 400);
    const names = new Set(res.body.errors?.map((e) => e.name));
    for (const n of ['body.tenant_slug', 'body.tenant_name', 'body.email']) assert.ok(names.has(n), `${n} not named: ${JSON.stringify(res.body)}`);
    const extra = await api<Problem>(h, 'POST', '/signup', { body: signUpBody({ role: 'admin' }) });
    expectStatus(extra, 400);
  });
});
