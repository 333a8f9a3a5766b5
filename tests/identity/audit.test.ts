import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { withTenant } from '../../src/platform/tenancy.ts';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, auditRows, createApiKeyAs, createUserAs, expectStatus, randomPassword, signUpTenant, type AuditEventList, type Problem, type SignedUpTenant } from '../helpers/identity.ts';

describe('identity: audit log', () => {
  let h: Harness;
  let t: SignedUpTenant;
  let analystId: string;
  before(async () => {
    h = await harness();
    t = await signUpTenant(h);
    // tenant.created, user.created, auth.login (the helper logs the analyst in), 2 x api_key.created, auth.login_failed
    analystId = (await createUserAs(h, t.adminToken, 'analyst')).userId;
    await createApiKeyAs(h, t.adminToken, ['analytics:read']);
    await createApiKeyAs(h, t.adminToken, ['analytics:read']);
    expectStatus(await api(h, 'POST', '/auth/login', { body: { login: t.email, password: randomPassword() } }), 401);
  });

  async function list(query: string) {
    const res = await api<AuditEventList & Problem>(h, 'GET', `/audit-events${query}`, { token: t.adminToken });
    return res;
  }

  it('lists the tenant’s events newest first, matching the rows', async () => {
    const res = await list('?limit=200');
    expectStatus(res, 200);
    const rows = await auditRows(h, t.tenantId);
    assert.deepEqual(res.body.data.map((e) => e.id), rows.map((r) => r.id).reverse());
    assert.deepEqual(res.body.data.map((e) => e.action), ['auth.login_failed', 'api_key.created', 'api_key.created', 'auth.login', 'user.created', 'tenant.created']);
    const failed = res.body.data[0];
    assert.equal(failed?.actor_type, 'anonymous');
    assert.equal(failed?.actor_id, null);
    assert.ok(failed?.ip);
    assert.ok(failed?.request_id);
  });

  it('filters by action', async () => {
    const res = await list('?action=api_key.created');
    expectStatus(res, 200);
    assert.equal(res.body.data.length, 2);
    assert.ok(res.body.data.every((e) => e.action === 'api_key.created'));
    const none = await list('?action=no.such_action');
    expectStatus(none, 200);
    assert.deepEqual(none.body.data, []);
  });

  it('filters by actor_id', async () => {
    const admin = await list(`?actor_id=${t.adminUserId}&limit=200`);
    expectStatus(admin, 200);
    assert.deepEqual(admin.body.data.map((e) => e.action), ['api_key.created', 'api_key.created', 'user.created', 'tenant.created']);
    const analyst = await list(`?actor_id=${analystId}`);
    assert.deepEqual(analyst.body.data.map((e) => e.action), ['auth.login']);
    const stranger = await list(`?actor_id=${crypto.randomUUID()}`);
    assert.deepEqual(stranger.body.data, []);
  });

  it('filters by from (inclusive) and to (exclusive); to not after from is 400', async () => {
    const rows = await auditRows(h, t.tenantId);
    const pivot = rows[3];
    assert.ok(pivot);
    const at = pivot.occurred_at.toISOString();
    const from = await list(`?from=${encodeURIComponent(at)}&limit=200`);
    expectStatus(from, 200);
    assert.deepEqual(from.body.data.map((e) => e.id), rows.filter((r) => r.occurred_at >= pivot.occurred_at).map((r) => r.id).reverse());
    assert.ok(from.body.data.some((e) => e.id === pivot.id), 'from is inclusive');
    const to = await list(`?to=${encodeURIComponent(at)}&limit=200`);
    expectStatus(to, 200);
    assert.deepEqual(to.body.data.map((e) => e.id), rows.filter((r) => r.occurred_at < pivot.occurred_at).map((r) => r.id).reverse());
    assert.ok(!to.body.data.some((e) => e.id === pivot.id), 'to is exclusive');
    const both = await list(`?from=${encodeURIComponent(rows[1]?.occurred_at.toISOString() ?? '')}&to=${encodeURIComponent(at)}&limit=200`);
    expectStatus(both, 200);
    assert.deepEqual(both.body.data.map((e) => e.id), rows.filter((r) => r.occurred_at >= (rows[1]?.occurred_at ?? 0) && r.occurred_at < pivot.occurred_at).map((r) => r.id).reverse());

    const empty = await list(`?from=${encodeURIComponent(at)}&to=${encodeURIComponent(at)}`);
    expectStatus(empty, 400);
    assert.ok(empty.body.errors?.some((e) => e.name === 'query.to'), JSON.stringify(empty.body));
    expectStatus(await list('?from=yesterday'), 400);
    // A leap second passes the contract's date-time format; it must not reach the database as an invalid Date.
    const leap = await list(`?from=${encodeURIComponent('2016-12-31T23:59:60Z')}`);
    expectStatus(leap, 400);
    assert.ok(leap.body.errors?.some((e) => e.name === 'query.from'));
  });

  it('pages with a cursor: no duplicates, no gaps, the same order as one page', async () => {
    const all = await list('?limit=200');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await list(`?limit=2${q}`);
      expectStatus(page, 200);
      assert.ok(page.body.data.length <= 2);
      seen.push(...page.body.data.map((e) => e.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    assert.equal(pages, 3);
    assert.deepEqual(seen, all.body.data.map((e) => e.id));
    // Filters hold across pages.
    const first = await list('?action=api_key.created&limit=1');
    assert.ok(first.body.next_cursor);
    const second = await list(`?action=api_key.created&limit=1&cursor=${encodeURIComponent(first.body.next_cursor ?? '')}`);
    assert.equal(second.body.data.length, 1);
    assert.equal(second.body.data[0]?.action, 'api_key.created');
    assert.notEqual(second.body.data[0]?.id, first.body.data[0]?.id);
    assert.equal(second.body.next_cursor, null);
  });

  it('refuses a cursor it did not issue with 400', async () => {
    const res = await list('?cursor=not-a-cursor');
    expectStatus(res, 400);
    assert.ok(res.body.errors?.some((e) => e.name === 'query.cursor'));
  });

  it('shows only the caller’s tenant', async () => {
    const other = await signUpTenant(h);
    const res = await api<AuditEventList>(h, 'GET', '/audit-events?limit=200', { token: other.adminToken });
    expectStatus(res, 200);
    assert.deepEqual(res.body.data.map((e) => e.action), ['tenant.created']);
    const mine = new Set((await auditRows(h, t.tenantId)).map((r) => r.id));
    assert.ok(!res.body.data.some((e) => mine.has(e.id)));
  });

  it('is append-only for the app role: UPDATE and DELETE are refused', async () => {
    const db = h.server.platform.db;
    const before = await auditRows(h, t.tenantId);
    await assert.rejects(
      withTenant(db, t.tenantId, (trx) => sql`update audit_events set action = 'tampered' where tenant_id = ${t.tenantId}`.execute(trx)),
      /permission denied/,
    );
    await assert.rejects(
      withTenant(db, t.tenantId, (trx) => sql`delete from audit_events where tenant_id = ${t.tenantId}`.execute(trx)),
      /permission denied/,
    );
    await assert.rejects(withTenant(db, t.tenantId, (trx) => sql`truncate audit_events`.execute(trx)), /permission denied|must be owner/);
    assert.deepEqual(await auditRows(h, t.tenantId), before);
  });
});
