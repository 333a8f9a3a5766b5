import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Harness } from '../helpers/harness.ts';
import { api, createUserAs, expectStatus, signUpTenant, type Problem, type SignedUpTenant } from '../helpers/identity.ts';
import { ingestingTenant } from '../helpers/ingestion.ts';

type Result = { received: number; written: number; duplicates: number; by_type: Record<string, number> };

const at = (i: number) => new Date(Date.UTC(2026, 2, 1, 0, 0, i)).toISOString();

async function count(h: Harness, table: 'touchpoints' | 'conversions' | 'metric_points' | 'orders', tenantId: string): Promise<number> {
  const r = await h.owner.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('ingestion: batch events API', function () {
  let h: Harness;
  let t: SignedUpTenant;
  let key: string;

  before(async function () {
    ({ h, t, key } = await ingestingTenant());
  });

  it('writes 1,000 events of every kind with an ingest:write key', async function () {
    const events = Array.from({ length: 1000 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return { type: 'touchpoint', id: `tp-${i}`, channel: 'paid_search', campaign: 'spring', anonymous_id: `anon-${i}`, occurred_at: at(i) };
        case 1:
          return { type: 'conversion', id: `cv-${i}`, order_ref: `o-${i}`, value: '19.90', currency: 'EUR', occurred_at: at(i) };
        case 2:
          return { type: 'metric', series_key: 'ad_spend.search', value: i / 10, occurred_at: at(i) };
        default:
          return { type: 'order', external_id: `o-${i}`, currency: 'EUR', status: 'paid', total: '19.90', placed_at: at(i), lines: [{ sku: 'TEA', quantity: 2, unit_price: '9.95' }] };
      }
    });
    const res = await api<Result>(h, 'POST', '/events', { apiKey: key, body: { events } });
    expectStatus(res, 200, 'batch');
    assert.deepEqual(res.body, { received: 1000, written: 1000, duplicates: 0, by_type: { touchpoint: 250, conversion: 250, metric: 250, order: 250 } });
    assert.equal(await count(h, 'touchpoints', t.tenantId), 250);
    assert.equal(await count(h, 'orders', t.tenantId), 250);
    const line = await h.owner.selectFrom('order_lines as l').innerJoin('orders as o', 'o.id', 'l.order_id').select(['l.total', 'o.units']).where('o.tenant_id', '=', t.tenantId).where('o.external_id', '=', 'o-3').executeTakeFirstOrThrow();
    assert.deepEqual(line, { total: '19.9000', units: 2 });
  });

  it('does not write an event id twice, and an Idempotency-Key replays the answer', async function () {
    const events = [{ type: 'touchpoint', id: `dup-${randomUUID()}`, channel: 'email', occurred_at: at(1) }];
    const first = await api<Result>(h, 'POST', '/events', { apiKey: key, body: { events } });
    const second = await api<Result>(h, 'POST', '/events', { apiKey: key, body: { events } });
    assert.deepEqual([first.body.written, second.body.written, second.body.duplicates], [1, 0, 1]);
    const idem = randomUUID();
    const a = await api<Result>(h, 'POST', '/events', { apiKey: key, body: { events: [{ type: 'metric', series_key: 'x', value: 1, occurred_at: at(2) }] }, headers: { 'Idempotency-Key': idem } });
    const b = await api<Result>(h, 'POST', '/events', { apiKey: key, body: { events: [{ type: 'metric', series_key: 'x', value: 1, occurred_at: at(2) }] }, headers: { 'Idempotency-Key': idem } });
    assert.deepEqual(b.body, a.body);
    assert.equal(b.headers.get('idempotent-replayed'), 'true');
  });

  it('writes the new events of a batch that repeats an id or meets known ones, and concurrent batches sharing ids write each once', async function () {
    const known = `known-${randomUUID()}`;
    await api<Result>(h, 'POST', '/events', { apiKey: key, body: { events: [{ type: 'touchpoint', id: known, channel: 'email', occurred_at: at(1) }] } });
    const repeated = `twice-${randomUUID()}`;
    const fresh = `fresh-${randomUUID()}`;
    const mixed = await api<Result>(h, 'POST', '/events', {
      apiKey: key,
      body: { events: [known, repeated, repeated, fresh].map((id) => ({ type: 'touchpoint', id, channel: 'web', occurred_at: at(2) })) },
    });
    assert.deepEqual([mixed.status, mixed.body.written, mixed.body.duplicates], [200, 2, 2]);
    const ids = Array.from({ length: 50 }, () => `race-${randomUUID()}`);
    const batch = { events: ids.map((id) => ({ type: 'touchpoint', id, channel: 'ads', occurred_at: at(3) })) };
    const racing = await Promise.all(Array.from({ length: 4 }, () => api<Result>(h, 'POST', '/events', { apiKey: key, body: batch })));
    assert.deepEqual(racing.map((r) => r.status), [200, 200, 200, 200]);
    assert.equal(racing.reduce((n, r) => n + r.body.written, 0), 50, 'each id written by exactly one batch');
    const rows = await h.owner.selectFrom('touchpoints').select('event_id').where('event_id', 'in', [known, repeated, fresh, ...ids]).execute();
    assert.equal(rows.length, 53);
  });

  it('event ids are per tenant: another tenant sending the same id writes its own row', async function () {
    const id = `shared-${randomUUID()}`;
    const other = await signUpTenant(h);
    const event = { type: 'touchpoint', id, channel: 'email', occurred_at: at(5) };
    assert.equal((await api<Result>(h, 'POST', '/events', { apiKey: key, body: { events: [event] } })).body.written, 1);
    assert.equal((await api<Result>(h, 'POST', '/events', { token: other.adminToken, body: { events: [event] } })).body.written, 1);
    const owners = await h.owner.selectFrom('touchpoints').select('tenant_id').where('event_id', '=', id).execute();
    assert.deepEqual(owners.map((o) => o.tenant_id).sort(), [t.tenantId, other.tenantId].sort());
  });

  it('rejects the whole batch when one event is bad, naming its index, and writes nothing', async function () {
    const before = await count(h, 'touchpoints', t.tenantId);
    const events = [
      { type: 'touchpoint', channel: 'email', occurred_at: at(1) },
      { type: 'touchpoint', channel: 'email', occurred_at: at(2) },
      { type: 'touchpoint', channel: 'email', occurred_at: 'yesterday' },
    ];
    const res = await api<Problem>(h, 'POST', '/events', { apiKey: key, body: { events } });
    expectStatus(res, 400, 'bad batch');
    assert.ok(res.body.errors?.some((e) => e.name.startsWith('body.events.2')), JSON.stringify(res.body.errors));
    const conv = await api<Problem>(h, 'POST', '/events', { apiKey: key, body: { events: [events[0], { type: 'conversion', value: '5.00', occurred_at: at(3) }] } });
    expectStatus(conv, 400, 'conversion without currency');
    assert.deepEqual(conv.body.errors?.map((e) => e.name), ['body.events.1.currency']);
    assert.equal(await count(h, 'touchpoints', t.tenantId), before);
  });

  it('refuses more than 1,000 events, an unknown type, a key without ingest:write, and a viewer', async function () {
    const many = Array.from({ length: 1001 }, (_, i) => ({ type: 'metric', series_key: 's', value: i, occurred_at: at(i) }));
    expectStatus(await api(h, 'POST', '/events', { apiKey: key, body: { events: many } }), 400, 'too many');
    expectStatus(await api(h, 'POST', '/events', { apiKey: key, body: { events: [{ type: 'pageview', occurred_at: at(1) }] } }), 400, 'unknown type');
    const readKey = await api<{ key: string }>(h, 'POST', '/api-keys', { token: t.adminToken, body: { name: 'read', scopes: ['analytics:read'] } });
    expectStatus(await api(h, 'POST', '/events', { apiKey: readKey.body.key, body: { events: [{ type: 'metric', series_key: 's', value: 1, occurred_at: at(1) }] } }), 403, 'wrong scope');
    expectStatus(await api(h, 'POST', '/events', { body: { events: [{ type: 'metric', series_key: 's', value: 1, occurred_at: at(1) }] } }), 401, 'anonymous');
    const viewer = await createUserAs(h, t.adminToken, 'viewer');
    expectStatus(await api(h, 'POST', '/events', { token: viewer.token, body: { events: [{ type: 'metric', series_key: 's', value: 1, occurred_at: at(1) }] } }), 403, 'viewer');
  });

  it('an order sent again with an older updated_at changes nothing', async function () {
    const ext = `ord-${randomUUID()}`;
    const send = (total: string, updated: string) => api<Result>(h, 'POST', '/events', { apiKey: key, body: { events: [{ type: 'order', external_id: ext, currency: 'USD', status: 'paid', total, placed_at: at(0), updated_at: updated }] } });
    expectStatus(await send('20.00', at(20)), 200);
    const stale = await send('10.00', at(10));
    assert.equal(stale.body.written, 0);
    const row = await h.owner.selectFrom('orders').select('total').where('tenant_id', '=', t.tenantId).where('external_id', '=', ext).executeTakeFirstOrThrow();
    assert.equal(row.total, '20.0000');
  });
});
