import assert from 'node:assert/strict';
import { startTestServer, type Harness } from '../helpers/harness.ts';
import { api, expectStatus, signUpTenant, type SignedUpTenant } from '../helpers/identity.ts';
import { importFinished, ingestKey, ingestingTenant, uploadImport, type Import } from '../helpers/ingestion.ts';
import { createDb } from '../../src/platform/db.ts';
import type { Server } from '../../src/server.ts';

const STORES = `Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval
1,c,a,1270,9,2008,0,,,
2,a,a,570,11,2007,1,13,2010,"Jan,Apr,Jul,Oct"
3,a,a,14130,12,2006,1,14,2011,"Jan,Apr,Jul,Oct"
`;

const SALES = `Store,DayOfWeek,Date,Sales,Customers,Open,Promo,StateHoliday,SchoolHoliday
1,5,2015-07-31,5263,555,1,1,0,1
2,5,2015-07-31,6064,625,1,1,0,1
3,5,2015-07-31,8314,821,1,1,0,1
1,4,2015-07-30,5020,546,1,1,0,1
1,4,2015-02-30,5020,546,1,1,0,1
2,4,2015-07-30,-4,546,1,1,0,1
`;

describe('ingestion: bulk imports', function () {
  let h: Harness;
  let t: SignedUpTenant;
  let key: string;

  before(async function () {
    ({ h, t, key } = await ingestingTenant());
  });

  it('imports Rossmann stores, then sales; bad rows are counted with their row and reason, the rest written', async function () {
    const s = await uploadImport(h, key, 'stores', STORES);
    assert.equal(s.status, 202, JSON.stringify(s.body));
    assert.equal(s.headers.get('location'), `/api/v1/imports/${s.body.id}`);
    const stores = await importFinished(h, key, s.body.id);
    assert.deepEqual([stores.status, stores.rows_read, stores.rows_written, stores.rows_rejected], ['succeeded', 3, 3, 0]);
    const store2 = await h.owner.selectFrom('stores').selectAll().where('tenant_id', '=', t.tenantId).where('external_id', '=', '2').executeTakeFirstOrThrow();
    assert.deepEqual([store2.store_type, store2.promo2, store2.promo_interval, store2.competition_open_since], ['a', true, 'Jan,Apr,Jul,Oct', '2007-11-01']);
    // 2010-W13 starts on Monday 29 March.
    assert.deepEqual([store2.name, store2.assortment, store2.competition_distance, store2.promo2_since, store2.created_via], ['Store 2', 'a', '570.00', '2010-03-29', 'import']);
    const store1 = await h.owner.selectFrom('stores').selectAll().where('tenant_id', '=', t.tenantId).where('external_id', '=', '1').executeTakeFirstOrThrow();
    assert.deepEqual([store1.promo2, store1.promo2_since, store1.promo_interval], [false, null, null]);

    const sales = await importFinished(h, key, (await uploadImport(h, key, 'sales', SALES)).body.id);
    assert.deepEqual([sales.status, sales.rows_read, sales.rows_written, sales.rows_rejected], ['succeeded', 6, 4, 2]);
    assert.deepEqual(sales.rejections.map((r) => r.row), [6, 7]);
    assert.match(sales.rejections[0]?.reason ?? '', /Date/);
    assert.match(sales.rejections[1]?.reason ?? '', /Sales/);
    const day = await h.owner.selectFrom('store_daily_sales').selectAll().where('tenant_id', '=', t.tenantId).where('store_id', '=', store2.id).executeTakeFirstOrThrow();
    assert.deepEqual([day.day, day.day_of_week, day.sales, day.customers, day.open, day.promo, day.state_holiday, day.school_holiday], ['2015-07-31', 5, '6064.0000', 625, true, true, '0', true]);
    const chunks = await h.owner.selectFrom('import_chunks').select('seq').where('import_id', '=', sales.id).execute();
    assert.equal(chunks.length, 0, 'the stored upload is removed once imported');
  });

  it('uploading the same file twice writes nothing twice', async function () {
    const first = await importFinished(h, key, (await uploadImport(h, key, 'sales', SALES)).body.id);
    const second = await importFinished(h, key, (await uploadImport(h, key, 'sales', SALES)).body.id);
    assert.equal(first.status, 'succeeded');
    assert.equal(second.status, 'succeeded');
    const rows = await h.owner.selectFrom('store_daily_sales').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', t.tenantId).executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), 4);
  });

  it('imports canonical orders from NDJSON', async function () {
    const lines = [
      { external_id: 'imp-1', store_external_id: '1', currency: 'EUR', status: 'paid', total: '12.00', placed_at: '2015-07-31T10:00:00.000Z', lines: [{ sku: 'A', quantity: 2, unit_price: '6.00' }], customer: { external_id: 'imp-c1', email: 'imp@example.com' } },
      { external_id: 'imp-2', currency: 'EUR', status: 'paid', total: '5.00', placed_at: '2015-07-31T11:00:00.000Z' },
    ].map((o) => JSON.stringify(o)).join('\n');
    const res = await uploadImport(h, key, 'orders', `${lines}\nnot json\n`, 'application/x-ndjson');
    const done = await importFinished(h, key, res.body.id);
    assert.deepEqual([done.status, done.rows_written, done.rows_rejected], ['succeeded', 2, 1]);
    const o = await h.owner.selectFrom('orders').select(['units', 'total', 'store_id']).where('tenant_id', '=', t.tenantId).where('external_id', '=', 'imp-1').executeTakeFirstOrThrow();
    assert.equal(o.units, 2);
    assert.ok(o.store_id, 'the order is attached to store 1');
    // Imported orders are rolled up once, at the end of the import, over the range they cover.
    const day = await h.owner.selectFrom('sales_daily').select(['gross', 'orders']).where('tenant_id', '=', t.tenantId).where('store_id', '=', 'ffffffff-ffff-ffff-ffff-ffffffffffff').where('day', '=', '2015-07-31').executeTakeFirstOrThrow();
    assert.deepEqual([day.gross, day.orders], ['17.0000', 2]);
    const customer = await h.owner.selectFrom('customers').select('first_order_at').where('tenant_id', '=', t.tenantId).where('external_id', '=', 'imp-c1').executeTakeFirstOrThrow();
    assert.equal(customer.first_order_at?.toISOString(), '2015-07-31T10:00:00.000Z', 'first orders are settled at the end of the import');
  });

  it('fails an import whose header lacks a required column, with the reason', async function () {
    const res = await uploadImport(h, key, 'sales', 'Store,Date,Sales\n1,2015-07-31,5\n');
    const done = await importFinished(h, key, res.body.id);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /DayOfWeek/);
  });

  it('refuses another content type (415), an unknown kind and an empty file (400), and lists imports newest first', async function () {
    assert.equal((await uploadImport(h, key, 'sales', SALES, 'application/pdf')).status, 415);
    assert.equal((await uploadImport(h, key, 'pictures', SALES)).status, 400);
    assert.equal((await uploadImport(h, key, 'sales', '')).status, 400);
    const list = await api<{ data: Import[] }>(h, 'GET', '/imports?limit=2', { apiKey: key });
    expectStatus(list, 200);
    assert.equal(list.body.data.length, 2);
  });
});

describe('ingestion: import size limit', function () {
  let server: Server;
  let h: Harness;

  before(async function () {
    server = await startTestServer({}, { IMPORT_MAX_BYTES: '2048' });
    h = { url: `${server.url ?? ''}/api/v1`, server, config: server.platform.config, owner: createDb(server.platform.ownerUrl, 2, 'tideline-test-owner-imports') };
  });

  after(async function () {
    await h.owner.destroy();
    await server.close();
  });

  it('answers 413 past IMPORT_MAX_BYTES, streamed without a Content-Length too, and keeps nothing', async function () {
    const t = await signUpTenant(h);
    const key = await ingestKey(h, t.adminToken);
    const big = `${SALES}${'1,5,2015-07-31,5263,555,1,1,0,1\n'.repeat(200)}`;
    assert.equal((await uploadImport(h, key, 'sales', big)).status, 413);
    // A chunked upload declares no length: the limit is enforced while streaming.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('1,5,2015-07-31,5263,555,1,1,0,1\n'.repeat(10)));
        controller.close();
      },
    });
    const res = await fetch(`${h.url}/imports?kind=sales`, { method: 'POST', headers: { 'X-API-Key': key, 'Content-Type': 'text/csv' }, body: stream, duplex: 'half' });
    assert.equal(res.status, 413);
    const rows = await h.owner.selectFrom('imports').select('id').where('tenant_id', '=', t.tenantId).execute();
    assert.deepEqual(rows, [], 'nothing of a refused upload is kept');
  });
});
