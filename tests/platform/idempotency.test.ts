import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { harness, type Harness } from '../helpers/harness.ts';

describe('Idempotency-Key on creates', () => {
  let h: Harness;
  let token: string;
  let tenantId: string;
  before(async () => {
    h = await harness();
    const slug = `idem-${randomUUID().slice(0, 8)}`;
    const res = await fetch(`${h.url}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant_slug: slug, tenant_name: 'Idem', email: `${slug}@example.com`, password: 'correct horse battery' }),
    });
    assert.equal(res.status, 201);
    const body = (await res.json()) as { access_token: string; tenant: { id: string } };
    token = body.access_token;
    tenantId = body.tenant.id;
  });

  const create = (key: string, name: string) =>
    fetch(`${h.url}/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
      body: JSON.stringify({ name, scopes: ['analytics:read'] }),
    });
  const keysNamed = async (name: string) =>
    (await sql<{ n: number }>`select count(*)::int as n from api_keys where tenant_id = ${tenantId} and name = ${name}`.execute(h.owner)).rows[0]?.n;

  it('the same key and body replay the first response and create nothing more', async () => {
    const key = randomUUID();
    const first = await create(key, 'replayed');
    assert.equal(first.status, 201);
    const a = (await first.json()) as { id: string; key: string };
    const second = await create(key, 'replayed');
    assert.equal(second.status, 201);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await second.json(), a);
    assert.equal(await keysNamed('replayed'), 1);
  });

  it('the same key with another body is 422 and changes nothing', async () => {
    const key = randomUUID();
    assert.equal((await create(key, 'first-body')).status, 201);
    const other = await create(key, 'second-body');
    assert.equal(other.status, 422);
    assert.match(other.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal(await keysNamed('second-body'), 0);
  });

  it('concurrent duplicates create exactly one row', async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => create(key, 'concurrent')));
    const statuses = results.map((r) => r.status).sort();
    assert.ok(statuses.every((s) => s === 201 || s === 409), statuses.join());
    assert.ok(statuses.includes(201));
    assert.equal(await keysNamed('concurrent'), 1);
  });

  it('a failed request releases its key for a retry', async () => {
    const key = randomUUID();
    const bad = await fetch(`${h.url}/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
      body: JSON.stringify({ name: 'expired', scopes: ['analytics:read'], expires_at: '2001-01-01T00:00:00Z' }),
    });
    assert.equal(bad.status, 422);
    const rows = await sql<{ n: number }>`select count(*)::int as n from idempotency_keys where key = ${key}`.execute(h.owner);
    assert.equal(rows.rows[0]?.n, 0);
  });
});
