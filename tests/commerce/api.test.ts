import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, createUserAs, expectStatus, signUpTenant, type Problem, type SignedUpTenant } from '../helpers/identity.ts';
import { importFinished, ingestKey, uploadImport } from '../helpers/ingestion.ts';
import type { components } from '../../generated/api.ts';

type Schemas = components['schemas'];

function order(id: string, store: string, total: string, placedAt: string, extra: Record<string, unknown> = {}) {
  return { type: 'order', external_id: id, store_external_id: store, currency: 'EUR', status: 'paid', total, placed_at: placedAt, lines: [{ sku: 'X', quantity: 1, unit_price: total }], ...extra };
}

describe('commerce: stores, orders, KPIs and series', function () {
  let h: Harness;
  let t: SignedUpTenant;
  let key: string;
  let ny: Schemas['Store'];

  async function send(events: unknown[]): Promise<void> {
    expectStatus(await api(h, 'POST', '/events', { apiKey: key, body: { events } }), 200, 'events');
  }

  before(async function () {
    h = await harness();
    t = await signUpTenant(h);
    key = await ingestKey(h, t.adminToken);
    const created = await api<Schemas['Store']>(h, 'POST', '/stores', { token: t.adminToken, body: { external_id: 'nyc', name: 'New York', timezone: 'America/New_York', currency: 'EUR' } });
    expectStatus(created, 201, 'create store');
    ny = created.body;
    // March 2026 in New York: 03:00Z on the 2nd is still the evening of the 1st locally.
    await send([
      order('o1', 'nyc', '10.00', '2026-03-02T03:00:00.000Z', { customer: { external_id: 'c1', email: 'ann.lee@example.com', name: 'Ann Lee' } }),
      order('o2', 'nyc', '30.00', '2026-03-02T15:00:00.000Z', { customer: { external_id: 'c2', email: 'bo@example.com', name: 'Bo Ray' } }),
      order('o3', 'nyc', '99.00', '2026-03-03T15:00:00.000Z', { status: 'cancelled' }),
      order('o4', 'nyc', '20.00', '2026-02-25T15:00:00.000Z', { customer: { external_id: 'c1' } }),
      { ...order('o5', 'other', '7.00', '2026-03-02T12:00:00.000Z'), currency: 'USD' },
    ]);
  });

  it('creates, reads, lists, updates and archives stores; refuses a taken external id, an unknown zone, and non-admins', async function () {
    expectStatus(await api(h, 'POST', '/stores', { token: t.adminToken, body: { external_id: 'nyc', name: 'Again' } }), 409, 'taken');
    const bad = await api<Problem>(h, 'POST', '/stores', { token: t.adminToken, body: { external_id: 'x1', name: 'X', timezone: 'Mars/Olympus' } });
    expectStatus(bad, 400, 'zone');
    assert.equal(bad.body.errors?.[0]?.name, 'body.timezone');
    const viewer = await createUserAs(h, t.adminToken, 'viewer');
    expectStatus(await api(h, 'POST', '/stores', { token: viewer.token, body: { external_id: 'v', name: 'V' } }), 403, 'viewer creates');
    expectStatus(await api(h, 'GET', `/stores/${ny.id}`, { token: viewer.token }), 200, 'viewer reads');
    const tmp = await api<Schemas['Store']>(h, 'POST', '/stores', { token: t.adminToken, body: { external_id: 'tmp', name: 'Tmp' } });
    const patched = await api<Schemas['Store']>(h, 'PATCH', `/stores/${tmp.body.id}`, { token: t.adminToken, body: { status: 'closed', promo2: true } });
    assert.deepEqual([patched.body.status, patched.body.promo2], ['closed', true]);
    expectStatus(await api(h, 'DELETE', `/stores/${tmp.body.id}`, { token: t.adminToken }), 204, 'archive');
    expectStatus(await api(h, 'DELETE', `/stores/${tmp.body.id}`, { token: t.adminToken }), 204, 'archive twice');
    const active = await api<Schemas['StoreList']>(h, 'GET', '/stores?limit=200', { token: t.adminToken });
    assert.ok(!active.body.data.some((s) => s.id === tmp.body.id));
    const archived = await api<Schemas['StoreList']>(h, 'GET', '/stores?archived=true', { token: t.adminToken });
    assert.ok(archived.body.data.some((s) => s.id === tmp.body.id));
    const byExt = await api<Schemas['StoreList']>(h, 'GET', '/stores?external_id=other', { token: t.adminToken });
    assert.equal(byExt.body.data[0]?.created_via, 'ingestion');
  });

  it('lists orders by store and range, and reads one with its lines', async function () {
    const list = await api<Schemas['OrderList']>(h, 'GET', `/orders?store_id=${ny.id}&from=2026-03-01T00%3A00%3A00Z&to=2026-03-04T00%3A00%3A00Z`, { token: t.adminToken });
    expectStatus(list, 200);
    assert.deepEqual(list.body.data.map((o) => o.external_id), ['o3', 'o2', 'o1']);
    const one = await api<Schemas['OrderDetail']>(h, 'GET', `/orders/${list.body.data[2]?.id}`, { token: t.adminToken });
    assert.deepEqual([one.body.order.total, one.body.lines.length, one.body.lines[0]?.unit_price], ['10.00', 1, '10.00']);
    expectStatus(await api(h, 'GET', `/orders/${randomUUID()}`, { token: t.adminToken }), 404);
  });

  it('shows customers unmasked to analysts, masked to viewers and keys, and finds one by email', async function () {
    const analyst = await createUserAs(h, t.adminToken, 'analyst');
    const viewer = await createUserAs(h, t.adminToken, 'viewer');
    const a = await api<Schemas['CustomerList']>(h, 'GET', '/customers?email=ANN.LEE%40example.com', { token: analyst.token });
    assert.deepEqual(a.body.data.map((c) => [c.email, c.name, c.masked]), [['ann.lee@example.com', 'Ann Lee', false]]);
    const v = await api<Schemas['Customer']>(h, 'GET', `/customers/${a.body.data[0]?.id}`, { token: viewer.token });
    assert.deepEqual([v.body.email, v.body.name, v.body.masked], ['a***@example.com', 'A*** L***', true]);
    const readKey = await api<{ key: string }>(h, 'POST', '/api-keys', { token: t.adminToken, body: { name: 'r', scopes: ['analytics:read'] } });
    const k = await api<Schemas['Customer']>(h, 'GET', `/customers/${a.body.data[0]?.id}`, { apiKey: readKey.body.key });
    assert.equal(k.body.masked, true);
    assert.equal(v.body.first_order_at, '2026-02-25T15:00:00.000Z');
  });

  it('computes KPIs per currency against the previous period, from rollups and from rows alike', async function () {
    const q = `/kpis?from=2026-03-01T05%3A00%3A00Z&to=2026-03-08T05%3A00%3A00Z&store_id=${ny.id}`;
    const res = await api<Schemas['KpiReport']>(h, 'GET', q, { token: t.adminToken });
    expectStatus(res, 200);
    const g = res.body.groups.find((x) => x.currency === 'EUR');
    assert.ok(g);
    assert.deepEqual(g.gross_revenue, { value: '40.00', previous: '20.00', change: '20.00', change_pct: 100 });
    assert.deepEqual([g.orders.value, g.orders.previous], [2, 1]);
    assert.equal(g.average_order_value.value, '20.00');
    assert.deepEqual([g.customers.value, g.new_customers.value, g.returning_customers.value], [2, 1, 1]);
    assert.equal(res.body.previous_from, '2026-02-22T05:00:00.000Z');
    // The same period cut mid-hour is answered from the order rows: the same figures.
    const raw = await api<Schemas['KpiReport']>(h, 'GET', `/kpis?from=2026-03-01T05%3A00%3A00.001Z&to=2026-03-08T05%3A00%3A00Z&store_id=${ny.id}`, { token: t.adminToken });
    assert.deepEqual(raw.body.groups.find((x) => x.currency === 'EUR')?.gross_revenue.value, '40.00');
    const all = await api<Schemas['KpiReport']>(h, 'GET', '/kpis?from=2026-03-01T00%3A00%3A00Z&to=2026-03-08T00%3A00%3A00Z', { token: t.adminToken });
    assert.deepEqual(all.body.groups.map((x) => [x.currency, x.gross_revenue.value]), [['EUR', '40.00'], ['USD', '7.00']], 'money is never summed across currencies');
    const byStore = await api<Schemas['KpiReport']>(h, 'GET', '/kpis?from=2026-03-01T00%3A00%3A00Z&to=2026-03-08T00%3A00%3A00Z&group_by=store', { token: t.adminToken });
    assert.equal(byStore.body.groups.length, 2);
  });

  it('answers a daily series in the store\'s local days, zero-filled and marked', async function () {
    const res = await api<Schemas['SalesSeries']>(h, 'GET', `/sales/timeseries?metric=gross_revenue&bucket=day&from=2026-03-01T05%3A00%3A00Z&to=2026-03-04T05%3A00%3A00Z&store_id=${ny.id}`, { token: t.adminToken });
    expectStatus(res, 200);
    assert.equal(res.body.timezone, 'America/New_York');
    assert.deepEqual(res.body.series[0]?.points, [
      { start: '2026-03-01T00:00:00-05:00', value: 10, filled: false },
      { start: '2026-03-02T00:00:00-05:00', value: 30, filled: false },
      { start: '2026-03-03T00:00:00-05:00', value: 0, filled: true },
    ]);
    const hours = await api<Schemas['SalesSeries']>(h, 'GET', `/sales/timeseries?metric=orders&bucket=hour&from=2026-03-02T02%3A00%3A00Z&to=2026-03-02T05%3A00%3A00Z&store_id=${ny.id}`, { token: t.adminToken });
    assert.deepEqual(hours.body.series[0]?.points.map((p) => p.value), [0, 1, 0]);
    const months = await api<Schemas['SalesSeries']>(h, 'GET', '/sales/timeseries?metric=orders&bucket=month&from=2026-02-01T00%3A00%3A00Z&to=2026-04-01T00%3A00%3A00Z', { token: t.adminToken });
    assert.deepEqual(months.body.series[0]?.points.map((p) => p.value), [1, 3]);
  });

  it('takes instants with colons as typed in a shell, an offset with %2B, and names the field when a bare + became a space', async function () {
    const encoded = await api<Schemas['KpiReport']>(h, 'GET', '/kpis?from=2026-03-01T00%3A00%3A00Z&to=2026-03-08T00%3A00%3A00Z', { token: t.adminToken });
    const literal = await api<Schemas['KpiReport']>(h, 'GET', '/kpis?from=2026-03-01T00:00:00Z&to=2026-03-08T00:00:00Z', { token: t.adminToken });
    expectStatus(literal, 200);
    assert.deepEqual(literal.body, encoded.body);
    const offset = await api<Schemas['KpiReport']>(h, 'GET', '/kpis?from=2026-03-01T01:00:00%2B01:00&to=2026-03-08T01:00:00%2B01:00', { token: t.adminToken });
    assert.deepEqual(offset.body.groups, encoded.body.groups);
    const bare = await api<Problem>(h, 'GET', '/kpis?from=2026-03-01T01:00:00+01:00&to=2026-03-08T00:00:00Z', { token: t.adminToken });
    assert.deepEqual([bare.status, bare.body.errors?.[0]?.name], [400, 'query.from']);
    const audit = await api(h, 'GET', '/audit-events?from=2026-01-01T00:00:00Z', { token: t.adminToken });
    expectStatus(audit, 200);
    const raw = await api(h, 'GET', '/raw-events?received_from=2026-01-01T00:00:00Z', { token: t.adminToken });
    expectStatus(raw, 200);
  });

  it('refuses an inverted range, a bucket too fine, hourly reported figures (400 naming the field), and another tenant\'s store (404)', async function () {
    const inverted = await api<Problem>(h, 'GET', '/kpis?from=2026-03-08T00%3A00%3A00Z&to=2026-03-01T00%3A00%3A00Z', { token: t.adminToken });
    assert.deepEqual([inverted.status, inverted.body.errors?.[0]?.name], [400, 'query.to']);
    const tooLong = await api<Problem>(h, 'GET', '/kpis?from=2020-01-01T00%3A00%3A00Z&to=2026-01-01T00%3A00%3A00Z', { token: t.adminToken });
    assert.deepEqual([tooLong.status, tooLong.body.errors?.[0]?.name], [400, 'query.to']);
    const fine = await api<Problem>(h, 'GET', '/sales/timeseries?metric=orders&bucket=hour&from=2020-01-01T00%3A00%3A00Z&to=2026-01-01T00%3A00%3A00Z', { token: t.adminToken });
    assert.deepEqual([fine.status, fine.body.errors?.[0]?.name], [400, 'query.bucket']);
    const reported = await api<Problem>(h, 'GET', '/sales/timeseries?metric=reported_sales&bucket=hour&from=2026-03-01T00%3A00%3A00Z&to=2026-03-02T00%3A00%3A00Z', { token: t.adminToken });
    assert.deepEqual([reported.status, reported.body.errors?.[0]?.name], [400, 'query.bucket']);
    const other = await signUpTenant(h);
    const theirs = await api<Schemas['Store']>(h, 'POST', '/stores', { token: other.adminToken, body: { external_id: 'x', name: 'X' } });
    expectStatus(await api(h, 'GET', `/kpis?from=2026-03-01T00%3A00%3A00Z&to=2026-03-08T00%3A00%3A00Z&store_id=${theirs.body.id}`, { token: t.adminToken }), 404, 'their store');
    expectStatus(await api(h, 'GET', `/sales/timeseries?metric=orders&bucket=day&from=2026-03-01T00%3A00%3A00Z&to=2026-03-08T00%3A00%3A00Z&store_id=${theirs.body.id}`, { token: t.adminToken }), 404, 'their store series');
  });

  it('answers 304 to a current ETag, and a new one once the data in range changes', async function () {
    const path = '/sales/timeseries?metric=gross_revenue&bucket=day&from=2026-03-10T00%3A00%3A00Z&to=2026-03-12T00%3A00%3A00Z';
    const first = await api<Schemas['SalesSeries']>(h, 'GET', path, { token: t.adminToken });
    const etag = first.headers.get('etag') ?? '';
    assert.ok(etag);
    assert.equal(first.headers.get('cache-control'), 'private, no-cache');
    assert.equal((await api(h, 'GET', path, { token: t.adminToken, headers: { 'If-None-Match': etag } })).status, 304);
    await send([order('o6', 'nyc', '5.00', '2026-03-10T15:00:00.000Z')]);
    const after = await api<Schemas['SalesSeries']>(h, 'GET', path, { token: t.adminToken, headers: { 'If-None-Match': etag } });
    expectStatus(after, 200, 'changed data');
    assert.notEqual(after.headers.get('etag'), etag);
    assert.equal(after.body.series.find((s) => s.currency === 'EUR')?.points[0]?.value, 5);
  });

  it('reports daily store figures per currency, whole weeks included, never summed across currencies', async function () {
    for (const [ext, currency] of [['77', 'USD'], ['78', 'EUR']] as const) {
      expectStatus(await api(h, 'POST', '/stores', { token: t.adminToken, body: { external_id: ext, name: `Store ${ext}`, currency, timezone: 'UTC' } }), 201, 'store');
    }
    // Monday 2026-04-06 to Sunday 2026-04-12, 100 a day for store 77 and 10 a day for store 78.
    const days = ['06', '07', '08', '09', '10', '11', '12'];
    const dow = (d: string) => ((Number(d) - 6) % 7) + 1;
    const csv = `Store,DayOfWeek,Date,Sales,Customers,Open,Promo,StateHoliday,SchoolHoliday\n${days.flatMap((d) => [`77,${dow(d)},2026-04-${d},100,10,1,0,0,0`, `78,${dow(d)},2026-04-${d},10,1,1,0,0,0`]).join('\n')}\n`;
    const up = await uploadImport(h, key, 'sales', csv);
    assert.equal((await importFinished(h, key, up.body.id)).status, 'succeeded');
    const weeks = await api<Schemas['SalesSeries']>(h, 'GET', '/sales/timeseries?metric=reported_sales&bucket=week&from=2026-04-06T00%3A00%3A00Z&to=2026-04-07T00%3A00%3A00Z', { token: t.adminToken });
    assert.deepEqual(weeks.body.series.map((x) => [x.currency, x.points.map((p) => p.value)]).sort(), [['EUR', [70]], ['USD', [700]]]);
    const kpis = await api<Schemas['KpiReport']>(h, 'GET', '/kpis?from=2026-04-06T00%3A00%3A00Z&to=2026-04-13T00%3A00%3A00Z', { token: t.adminToken });
    assert.equal(kpis.body.reported, null, 'two currencies: no single sum');
    assert.deepEqual(kpis.body.reported_by_currency.map((r) => [r.currency, r.sales.value, r.open_days.value]), [['EUR', 70, 7], ['USD', 700, 7]]);
  });

  it('refuses a KPI period whose previous period would start before year 1', async function () {
    const res = await api<Problem>(h, 'GET', '/kpis?from=0001-06-01T00%3A00%3A00Z&to=0002-06-01T00%3A00%3A00Z', { token: t.adminToken });
    assert.deepEqual([res.status, res.body.errors?.[0]?.name], [400, 'query.from']);
  });

  it('moving a store to another time zone moves its days and recomputes cached answers', async function () {
    const store = await api<Schemas['Store']>(h, 'POST', '/stores', { token: t.adminToken, body: { external_id: 'tz-move', name: 'Mover', timezone: 'UTC', currency: 'EUR' } });
    await send([order('tz-1', 'tz-move', '8.00', '2026-05-02T02:00:00.000Z')]);
    const path = `/sales/timeseries?metric=gross_revenue&bucket=day&from=2026-05-01T00%3A00%3A00Z&to=2026-05-03T00%3A00%3A00Z&store_id=${store.body.id}`;
    const before = await api<Schemas['SalesSeries']>(h, 'GET', path, { token: t.adminToken });
    assert.deepEqual(before.body.series[0]?.points.map((p) => p.value), [0, 8]);
    expectStatus(await api(h, 'PATCH', `/stores/${store.body.id}`, { token: t.adminToken, body: { timezone: 'America/New_York' } }), 200);
    const after = await api<Schemas['SalesSeries']>(h, 'GET', path, { token: t.adminToken, headers: { 'If-None-Match': before.headers.get('etag') ?? '' } });
    expectStatus(after, 200, 'a new answer');
    assert.equal(after.body.timezone, 'America/New_York');
    assert.deepEqual(after.body.series[0]?.points.map((p) => [p.start.slice(0, 10), p.value]).filter(([, v]) => v !== 0), [['2026-05-01', 8]]);
  });
});
