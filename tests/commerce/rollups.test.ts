import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { CanonicalOrder, CanonicalRefund, CommerceChange } from '../../src/commerce/model.ts';
import { ALL_STORES, NO_STORE, rebuildRollups } from '../../src/commerce/rollups.ts';
import { applyChanges, resolveStores, type WriteContext } from '../../src/commerce/write.ts';
import { withTenant } from '../../src/platform/tenancy.ts';
import { harness, type Harness } from '../helpers/harness.ts';
import { signUpTenant, type SignedUpTenant } from '../helpers/identity.ts';
import { createSourceAs } from '../helpers/ingestion.ts';

// Hand-computed rollup rows for a few cases whose answer is easy to get wrong: local days in a
// half-hour zone, refunds on a later day, cancelled orders with refunds, and a rebuild from scratch.
// The tenant is in New York (EDT, -4, from March 8): its tenant-wide rows ('*') often fall on
// another local day than a store's.

interface Row {
  table: 'hour' | 'day';
  store: string;
  currency: string;
  channel: string;
  bucket: string;
  orders: number;
  gross: string;
  units: number;
  refunds: string;
  refund_count: number;
}

function order(o: Partial<CanonicalOrder> & Pick<CanonicalOrder, 'externalId' | 'placedAt'>): CommerceChange {
  return {
    kind: 'order',
    order: {
      orderNumber: null, paymentRef: null, storeExternalId: null, channel: 'web', customer: null, currency: 'EUR', status: 'paid',
      subtotal: '10.00', discountTotal: '0', taxTotal: '0', shippingTotal: '0', total: '10.00',
      lines: [{ externalId: null, productExternalId: null, sku: 'TEA', title: 'Tea', quantity: 2, unitPrice: '5.00', total: '10.00' }],
      cancelledAt: null, updatedAt: o.placedAt,
      ...o,
    },
  };
}

function refund(r: Partial<CanonicalRefund> & Pick<CanonicalRefund, 'externalId' | 'orderExternalId' | 'refundedAt'>): CommerceChange {
  return { kind: 'refund', refund: { paymentRef: null, amount: '4.00', currency: 'EUR', reason: null, ...r } };
}

describe('commerce: sales rollups (hand-computed cases)', function () {
  let h: Harness;
  let t: SignedUpTenant;
  let ctx: WriteContext;
  // Store external id -> row id, and back for readable rows.
  let stores: Map<string, string>;
  let names: Map<string, string>;

  const apply = (...changes: CommerceChange[]) => withTenant(h.server.platform.db, t.tenantId, (trx) => applyChanges(trx, ctx, changes));

  /** The tenant's rollup rows as the owner sees them, with store names ('-': none, '*': tenant-wide), sorted. */
  async function rollups(): Promise<Row[]> {
    const r = await sql<Omit<Row, 'orders' | 'units' | 'refund_count'> & { orders: string; units: string; refund_count: string }>`
      select 'hour' as table, store_id::text as store, currency, channel, to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') as bucket,
             orders::text, gross::text, units::text, refunds::text, refund_count::text
        from sales_hourly where tenant_id = ${t.tenantId}
      union all
      select 'day', store_id::text, currency, channel, day::text, orders::text, gross::text, units::text, refunds::text, refund_count::text
        from sales_daily where tenant_id = ${t.tenantId}`.execute(h.owner);
    const key = (x: Row) => [x.table, x.store, x.currency, x.channel, x.bucket].join('|');
    return r.rows
      .map((x) => ({ ...x, store: names.get(x.store) ?? x.store, orders: Number(x.orders), units: Number(x.units), refund_count: Number(x.refund_count) }))
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  before(async function () {
    h = await harness();
    t = await signUpTenant(h);
    const source = await createSourceAs(h, t.adminToken, 'custom');
    ctx = { tenantId: t.tenantId, sourceId: source.id, storeId: null, cipher: h.server.platform.cipher };
    stores = await withTenant(h.server.platform.db, t.tenantId, (trx) => resolveStores(trx, t.tenantId, ['kolkata', 'berlin']));
    await sql`update stores set timezone = 'Asia/Kolkata' where id = ${stores.get('kolkata')}`.execute(h.owner);
    await sql`update stores set timezone = 'Europe/Berlin' where id = ${stores.get('berlin')}`.execute(h.owner);
    await sql`update tenants set timezone = 'America/New_York' where id = ${t.tenantId}`.execute(h.owner);
    names = new Map([...[...stores].map(([ext, id]): [string, string] => [id, ext]), [NO_STORE, '-'], [ALL_STORES, '*']]);
  });

  beforeEach(async function () {
    // Each case starts from an empty tenant (the owner bypasses row-level security for set-up).
    for (const table of ['refunds', 'orders', 'sales_hourly', 'sales_daily']) {
      await sql`delete from ${sql.table(table)} where tenant_id = ${t.tenantId}`.execute(h.owner);
    }
  });

  it('puts an order placed at 18:45Z in Asia/Kolkata (+5:30) on the next local day, in its UTC hour', async function () {
    await apply(order({ externalId: 'k-1', storeExternalId: 'kolkata', placedAt: '2026-03-10T18:45:00.000Z', total: '12.3400' }));
    assert.deepEqual(await rollups(), [
      { table: 'day', store: '*', currency: 'EUR', channel: 'web', bucket: '2026-03-10', orders: 1, gross: '12.3400', units: 2, refunds: '0.0000', refund_count: 0 },
      { table: 'day', store: 'kolkata', currency: 'EUR', channel: 'web', bucket: '2026-03-11', orders: 1, gross: '12.3400', units: 2, refunds: '0.0000', refund_count: 0 },
      { table: 'hour', store: '*', currency: 'EUR', channel: 'web', bucket: '2026-03-10T18:00Z', orders: 1, gross: '12.3400', units: 2, refunds: '0.0000', refund_count: 0 },
      { table: 'hour', store: 'kolkata', currency: 'EUR', channel: 'web', bucket: '2026-03-10T18:00Z', orders: 1, gross: '12.3400', units: 2, refunds: '0.0000', refund_count: 0 },
    ]);
  });

  it('puts a refund on a later day in the day of the refund, under the order’s store and channel', async function () {
    await apply(order({ externalId: 'b-1', storeExternalId: 'berlin', channel: 'pos', placedAt: '2026-03-10T10:00:00.000Z' }));
    // 23:30Z on the 12th is 00:30 on the 13th in Berlin (CET, +1), and 19:30 on the 12th in New York.
    await apply(refund({ externalId: 'rf-1', orderExternalId: 'b-1', refundedAt: '2026-03-12T23:30:00.000Z', amount: '4.00' }));
    assert.deepEqual(await rollups(), [
      { table: 'day', store: '*', currency: 'EUR', channel: 'pos', bucket: '2026-03-10', orders: 1, gross: '10.0000', units: 2, refunds: '0.0000', refund_count: 0 },
      { table: 'day', store: '*', currency: 'EUR', channel: 'pos', bucket: '2026-03-12', orders: 0, gross: '0.0000', units: 0, refunds: '4.0000', refund_count: 1 },
      { table: 'day', store: 'berlin', currency: 'EUR', channel: 'pos', bucket: '2026-03-10', orders: 1, gross: '10.0000', units: 2, refunds: '0.0000', refund_count: 0 },
      { table: 'day', store: 'berlin', currency: 'EUR', channel: 'pos', bucket: '2026-03-13', orders: 0, gross: '0.0000', units: 0, refunds: '4.0000', refund_count: 1 },
      { table: 'hour', store: '*', currency: 'EUR', channel: 'pos', bucket: '2026-03-10T10:00Z', orders: 1, gross: '10.0000', units: 2, refunds: '0.0000', refund_count: 0 },
      { table: 'hour', store: '*', currency: 'EUR', channel: 'pos', bucket: '2026-03-12T23:00Z', orders: 0, gross: '0.0000', units: 0, refunds: '4.0000', refund_count: 1 },
      { table: 'hour', store: 'berlin', currency: 'EUR', channel: 'pos', bucket: '2026-03-10T10:00Z', orders: 1, gross: '10.0000', units: 2, refunds: '0.0000', refund_count: 0 },
      { table: 'hour', store: 'berlin', currency: 'EUR', channel: 'pos', bucket: '2026-03-12T23:00Z', orders: 0, gross: '0.0000', units: 0, refunds: '4.0000', refund_count: 1 },
    ]);
  });

  it('counts nothing for a cancelled order but still counts its refund (no store: the tenant’s time zone)', async function () {
    // A refund that arrives first is attached when its order does.
    await apply(refund({ externalId: 'rf-2', orderExternalId: 'c-1', refundedAt: '2026-03-11T03:00:00.000Z', amount: '2.50', currency: 'EUR' }));
    assert.deepEqual(await rollups(), []);
    await apply(order({ externalId: 'c-1', status: 'cancelled', placedAt: '2026-03-10T12:00:00.000Z' }));
    // 03:00Z on the 11th is 23:00 on the 10th in New York (EDT, -4, since March 8).
    const refunded = { currency: 'EUR', channel: 'web', orders: 0, gross: '0.0000', units: 0, refunds: '2.5000', refund_count: 1 };
    assert.deepEqual(await rollups(), [
      { table: 'day', store: '*', bucket: '2026-03-10', ...refunded },
      { table: 'day', store: '-', bucket: '2026-03-10', ...refunded },
      { table: 'hour', store: '*', bucket: '2026-03-11T03:00Z', ...refunded },
      { table: 'hour', store: '-', bucket: '2026-03-11T03:00Z', ...refunded },
    ]);
  });

  it('moves an order’s figures, refunds included, when an update changes its store', async function () {
    await apply(order({ externalId: 'm-1', storeExternalId: 'berlin', placedAt: '2026-03-10T20:00:00.000Z', updatedAt: '2026-03-10T20:00:00.000Z' }));
    await apply(refund({ externalId: 'rf-3', orderExternalId: 'm-1', refundedAt: '2026-03-10T21:00:00.000Z', amount: '1.00' }));
    await apply(order({ externalId: 'm-1', storeExternalId: 'kolkata', placedAt: '2026-03-10T20:00:00.000Z', updatedAt: '2026-03-10T22:00:00.000Z' }));
    const rows = await rollups();
    assert.deepEqual(rows.filter((r) => r.store === 'berlin'), []);
    // In Kolkata 20:00Z and 21:00Z are past midnight: the 11th (in New York still the 10th). The
    // order is partially refunded now, which still counts.
    const figures = { currency: 'EUR', channel: 'web', orders: 1, gross: '10.0000', units: 2, refunds: '1.0000', refund_count: 1 };
    assert.deepEqual(rows.filter((r) => r.table === 'day'), [
      { table: 'day', store: '*', bucket: '2026-03-10', ...figures },
      { table: 'day', store: 'kolkata', bucket: '2026-03-11', ...figures },
    ]);
  });

  it('rebuilds the same rows from scratch, for the whole tenant or for some stores', async function () {
    await apply(
      order({ externalId: 'r-1', storeExternalId: 'kolkata', placedAt: '2026-03-10T18:29:59.999Z' }),
      order({ externalId: 'r-2', storeExternalId: 'kolkata', placedAt: '2026-03-10T18:30:00.000Z', currency: 'USD', channel: null }),
      order({ externalId: 'r-3', storeExternalId: 'berlin', placedAt: '2026-03-29T00:59:59.999Z', status: 'fulfilled' }),
      order({ externalId: 'r-4', placedAt: '2026-03-08T06:59:00.000Z', status: 'pending' }),
      order({ externalId: 'r-5', placedAt: '2026-03-08T07:00:00.000Z' }),
    );
    await apply(refund({ externalId: 'rf-4', orderExternalId: 'r-3', refundedAt: '2026-03-30T08:00:00.000Z', amount: '10.00' }));
    const incremental = await rollups();
    // 5 hourly and 5 daily rows for the stores, as many tenant-wide ones.
    assert.equal(incremental.length, 20);
    for (const table of ['sales_hourly', 'sales_daily']) await sql`delete from ${sql.table(table)} where tenant_id = ${t.tenantId}`.execute(h.owner);
    await withTenant(h.server.platform.db, t.tenantId, (trx) => rebuildRollups(trx, 'all'));
    assert.deepEqual(await rollups(), incremental);

    // Only Berlin's rows are gone and rebuilt; the others are left as they were.
    await sql`delete from sales_daily where tenant_id = ${t.tenantId} and store_id = ${stores.get('berlin')}`.execute(h.owner);
    await sql`update sales_daily set orders = 99 where tenant_id = ${t.tenantId} and store_id = ${stores.get('kolkata')}`.execute(h.owner);
    await withTenant(h.server.platform.db, t.tenantId, (trx) => rebuildRollups(trx, [stores.get('berlin') ?? '']));
    const partial = await rollups();
    assert.deepEqual(partial.filter((r) => r.store !== 'kolkata'), incremental.filter((r) => r.store !== 'kolkata'));
    assert.ok(partial.filter((r) => r.store === 'kolkata' && r.table === 'day').every((r) => r.orders === 99));
    await withTenant(h.server.platform.db, t.tenantId, (trx) => rebuildRollups(trx, [stores.get('kolkata') ?? '', NO_STORE]));
    assert.deepEqual(await rollups(), incremental);
  });

  it('completes a rebuild that meets a bucket row an order write committed meanwhile, and counts that order', async function () {
    await apply(order({ externalId: 'c-1', storeExternalId: 'berlin', placedAt: '2026-03-10T10:00:00.000Z' }));
    const db = h.server.platform.db;
    // The write replaces its buckets' rows and holds them until it commits; the rebuild's delete
    // waits on them, skips them once they are gone, and its insert then meets the writer's new rows.
    let commit: () => void = () => undefined;
    const held = new Promise<void>((r) => (commit = r));
    let written: () => void = () => undefined;
    const wrote = new Promise<void>((r) => (written = r));
    const writer = withTenant(db, t.tenantId, async (trx) => {
      await applyChanges(trx, ctx, [order({ externalId: 'c-2', storeExternalId: 'berlin', placedAt: '2026-03-10T10:30:00.000Z' })]);
      written();
      await held;
    });
    await wrote;
    const rebuild = withTenant(db, t.tenantId, (trx) => rebuildRollups(trx, 'all'));
    const blocked = async () => {
      const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like 'delete from "sales_%'`.execute(h.owner);
      return (r.rows[0]?.n ?? 0) > 0;
    };
    for (let i = 0; i < 200 && !(await blocked()); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(await blocked(), 'the rebuild waits on the write');
    commit();
    await writer;
    await rebuild;
    const berlin = (await rollups()).filter((r) => r.store === 'berlin');
    assert.deepEqual(berlin.map((r) => [r.table, r.orders]), [['day', 2], ['hour', 2]], 'both orders, once');
  });
});
