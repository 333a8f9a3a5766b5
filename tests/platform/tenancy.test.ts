import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createDb } from '../../src/platform/db.ts';
import { withTenant } from '../../src/platform/tenancy.ts';
import { harness, type Harness } from '../helpers/harness.ts';
import { createTenant } from '../helpers/tenants.ts';

async function insertKey(h: Harness, tenantId: string, key: string) {
  await withTenant(h.server.platform.db, tenantId, (trx) =>
    sql`insert into idempotency_keys (tenant_id, principal, key, operation, request_hash, state, expires_at)
        values (${tenantId}, 'user:x', ${key}, 'op', 'hash', 'in_flight', now() + interval '1 day')`.execute(trx),
  );
}

describe('tenancy: row-level security for the app role', () => {
  let h: Harness;
  let a: string;
  let b: string;
  before(async () => {
    h = await harness();
    a = await createTenant(h);
    b = await createTenant(h);
    await insertKey(h, a, 'key-a');
    await insertKey(h, b, 'key-b');
  });

  it('sees no rows with no tenant set', async () => {
    const db = h.server.platform.db;
    const rows = await sql`select * from idempotency_keys`.execute(db);
    assert.equal(rows.rows.length, 0);
    const tenants = await sql`select * from tenants`.execute(db);
    assert.equal(tenants.rows.length, 0);
  });

  it('sees only the current tenant’s rows', async () => {
    const keys = await withTenant(h.server.platform.db, a, (trx) => sql<{ key: string; tenant_id: string }>`select key, tenant_id from idempotency_keys`.execute(trx));
    assert.deepEqual(keys.rows.map((r) => r.key), ['key-a']);
    const tenants = await withTenant(h.server.platform.db, a, (trx) => sql<{ id: string }>`select id from tenants`.execute(trx));
    assert.deepEqual(tenants.rows.map((r) => r.id), [a]);
  });

  it('cannot insert rows for another tenant (WITH CHECK)', async () => {
    await assert.rejects(
      withTenant(h.server.platform.db, a, (trx) =>
        sql`insert into idempotency_keys (tenant_id, principal, key, operation, request_hash, state, expires_at)
            values (${b}, 'user:x', 'sneaky', 'op', 'h', 'in_flight', now())`.execute(trx),
      ),
      /row-level security/,
    );
    const count = await sql<{ n: number }>`select count(*)::int as n from idempotency_keys where key = 'sneaky'`.execute(h.owner);
    assert.equal(count.rows[0]?.n, 0);
  });

  it('cannot move its rows to another tenant, nor touch theirs', async () => {
    await assert.rejects(
      withTenant(h.server.platform.db, a, (trx) => sql`update idempotency_keys set tenant_id = ${b} where key = 'key-a'`.execute(trx)),
      /row-level security/,
    );
    const r = await withTenant(h.server.platform.db, a, (trx) => sql`update idempotency_keys set state = 'completed' where key = 'key-b'`.execute(trx));
    assert.equal(Number(r.numAffectedRows ?? 0), 0);
    const d = await withTenant(h.server.platform.db, a, (trx) => sql`delete from idempotency_keys where tenant_id = ${b}`.execute(trx));
    assert.equal(Number(d.numAffectedRows ?? 0), 0);
    const still = await sql<{ state: string }>`select state from idempotency_keys where key = 'key-b'`.execute(h.owner);
    assert.equal(still.rows[0]?.state, 'in_flight');
  });

  it('never leaks the setting between pooled connections', async () => {
    const pool = createDb(h.server.platform.appUrl, 2, 'leak-test');
    try {
      const seen = await Promise.all(
        Array.from({ length: 400 }, async (_, i) => {
          const tenant = i % 2 === 0 ? a : b;
          const [r, outside] = await Promise.all([
            withTenant(pool, tenant, (trx) => sql<{ tenant_id: string }>`select tenant_id from idempotency_keys`.execute(trx)),
            sql<{ n: number }>`select count(*)::int as n from idempotency_keys`.execute(pool),
          ]);
          return { tenant, rows: r.rows.map((x) => x.tenant_id), outside: outside.rows[0]?.n };
        }),
      );
      for (const s of seen) {
        assert.deepEqual(s.rows, [s.tenant]);
        assert.equal(s.outside, 0, 'a query outside withTenant saw rows');
      }
    } finally {
      await pool.destroy();
    }
  });

  it('the app role cannot disable RLS, bypass it, or act as the owner', async () => {
    const db = h.server.platform.db;
    await assert.rejects(sql`alter table idempotency_keys disable row level security`.execute(db), /must be owner/);
    await assert.rejects(sql`alter table idempotency_keys no force row level security`.execute(db), /must be owner/);
    await assert.rejects(sql`drop policy tenant_isolation on idempotency_keys`.execute(db), /must be owner/);
    await assert.rejects(sql`set role postgres`.execute(db), /permission denied/);
    await assert.rejects(sql`set session authorization postgres`.execute(db), /permission denied/);
    await assert.rejects(sql`create table app_owned (id int)`.execute(db), /permission denied/);
    const role = await sql<{ rolsuper: boolean; rolbypassrls: boolean }>`select rolsuper, rolbypassrls from pg_roles where rolname = current_user`.execute(db);
    assert.deepEqual(role.rows[0], { rolsuper: false, rolbypassrls: false });
    const owned = await sql<{ n: number }>`select count(*)::int as n from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = current_user`.execute(db);
    assert.equal(owned.rows[0]?.n, 0);
  });

  it('every table with a tenant_id column has RLS enabled, forced, and a tenant policy', async () => {
    const tables = await sql<{ table_name: string; rls: boolean; forced: boolean; policies: number }>`
      select c.relname as table_name, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
             (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p')
        and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) or c.relname = 'tenants')`.execute(h.owner);
    assert.ok(tables.rows.length >= 2);
    for (const t of tables.rows) {
      assert.ok(t.rls, `${t.table_name} has RLS disabled`);
      assert.ok(t.forced, `${t.table_name} does not FORCE RLS`);
      assert.ok(t.policies > 0, `${t.table_name} has no policy`);
    }
  });

  it('rejects a tenant id that is not a uuid before touching the database', async () => {
    await assert.rejects(withTenant(h.server.platform.db, "x'; drop table tenants; --", () => Promise.resolve(undefined)), /uuid/);
  });
});
