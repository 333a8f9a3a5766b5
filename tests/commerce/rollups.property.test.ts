import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql, type RawBuilder } from 'kysely';
import type { CanonicalOrder, CanonicalRefund, CommerceChange, OrderStatus } from '../../src/commerce/model.ts';
import { ALL_STORES, NO_STORE, rebuildRollups } from '../../src/commerce/rollups.ts';
import { applyChanges, resolveStores, type WriteContext } from '../../src/commerce/write.ts';
import { withTenant } from '../../src/platform/tenancy.ts';
import { harness, type Harness } from '../helpers/harness.ts';
import { signUpTenant, type SignedUpTenant } from '../helpers/identity.ts';
import { createSourceAs } from '../helpers/ingestion.ts';

// Random sequences of canonical writes (upserts, payment-only orders, status changes, deletions,
// refunds before and after their orders, replays), each applied as its own transaction the way a
// normalization job applies one event. After a sequence, the incrementally maintained rollups must
// equal an aggregate computed here straight from the orders and refunds rows, with SQL written
// independently of src/commerce/rollups.ts; then so must a rebuild from scratch.
//
// ROLLUP_PROPERTY_RUNS sets the number of sequences (150 by default: well under a minute);
// ROLLUP_PROPERTY_SEED replays a failing run that fast-check reported.

const RUNS = Number(process.env.ROLLUP_PROPERTY_RUNS ?? 150);
const SEED = process.env.ROLLUP_PROPERTY_SEED === undefined ? undefined : Number(process.env.ROLLUP_PROPERTY_SEED);
// A typo must not turn the property into zero runs that pass.
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`ROLLUP_PROPERTY_RUNS must be a positive integer (got "${process.env.ROLLUP_PROPERTY_RUNS ?? ''}")`);
if (SEED !== undefined && !Number.isInteger(SEED)) throw new Error(`ROLLUP_PROPERTY_SEED must be an integer (got "${process.env.ROLLUP_PROPERTY_SEED ?? ''}")`);

// Small pools, so that updates, replays and refunds keep hitting the same rows.
const ORDER_IDS = ['o-1', 'o-2', 'o-3', 'o-4', 'o-5', 'o-6'];
const PAYMENT_REFS = ['pay-1', 'pay-2', 'pay-3', 'pay-4'];
const REFUND_IDS = ['rf-1', 'rf-2', 'rf-3', 'rf-4', 'rf-5'];
const STORES = ['store-a', 'store-b', 'store-c'];
const STATUSES: OrderStatus[] = ['pending', 'paid', 'fulfilled', 'cancelled', 'refunded', 'partially_refunded', 'deleted'];
const COUNTED = ['paid', 'fulfilled', 'partially_refunded', 'refunded'];
// Kolkata is +5:30 (hours and local days do not share boundaries); Santiago changes clocks at
// local midnight (a day that starts at 01:00, a day of 25 hours); Chatham is +12:45/+13:45.
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'America/Santiago', 'Pacific/Chatham'];
// Each run's times fall within 3 days around one instant: a DST change somewhere, or a plain UTC midnight.
const CENTERS = [
  '2026-03-08T07:00:00Z', // New York springs forward
  '2026-03-29T01:00:00Z', // Berlin springs forward
  '2026-04-05T03:00:00Z', // Santiago falls back at local midnight
  '2026-06-15T00:00:00Z', // no change anywhere
  '2026-09-06T04:00:00Z', // Santiago springs forward at local midnight
  '2026-10-25T01:00:00Z', // Berlin falls back
  '2026-11-01T06:00:00Z', // New York falls back
];
const QUARTER = 15 * 60_000;

/** One step of a run: a change from one of the two sources, or an exact replay of an earlier step. */
type Step = { source: 0 | 1; change: CommerceChange } | { replay: number };

/** One run: the time zones in force and the steps, applied in order. */
interface Run {
  tenantZone: string;
  storeZones: string[];
  steps: Step[];
  /** Which stores to rebuild afterwards (indexes into STORES, 3 = no store); null: the whole tenant. */
  rebuild: number[] | null;
}

const money = fc.integer({ min: 0, max: 2_000_000 }).map((n) => `${Math.floor(n / 10_000)}.${String(n % 10_000).padStart(4, '0')}`);

function runArb(): fc.Arbitrary<Run> {
  return fc.constantFrom(...CENTERS).chain((center) => {
    const mid = Date.parse(center);
    // Mostly anywhere in the window, often within two hours of its centre, sometimes a millisecond off a quarter hour.
    const instant = fc
      .tuple(fc.oneof({ arbitrary: fc.integer({ min: -144, max: 143 }), weight: 3 }, { arbitrary: fc.integer({ min: -8, max: 8 }), weight: 2 }), fc.constantFrom(0, 0, 0, 0, -1, 1))
      .map(([q, ms]) => new Date(mid + q * QUARTER + ms).toISOString());
    // Provider update times within a few minutes of each other, so that steps arrive out of order.
    const updatedAt = fc.integer({ min: 0, max: 12 }).map((m) => new Date(mid + m * 60_000).toISOString());
    const line = fc.record({
      externalId: fc.constant(null), productExternalId: fc.constant(null), sku: fc.constant('SKU'), title: fc.constant(null),
      quantity: fc.integer({ min: 1, max: 5 }), unitPrice: money, total: money,
    });
    const order: fc.Arbitrary<CanonicalOrder> = fc.record({
      externalId: fc.constantFrom(...ORDER_IDS),
      orderNumber: fc.constant(null),
      paymentRef: fc.option(fc.constantFrom(...PAYMENT_REFS), { nil: null }),
      storeExternalId: fc.option(fc.constantFrom(...STORES), { nil: null, freq: 4 }),
      channel: fc.option(fc.constantFrom('web', 'pos'), { nil: null }),
      customer: fc.constant(null),
      currency: fc.constantFrom('EUR', 'USD'),
      status: fc.constantFrom(...STATUSES),
      subtotal: money,
      discountTotal: fc.constant('0'),
      taxTotal: fc.constant('0'),
      shippingTotal: fc.constant('0'),
      total: money,
      lines: fc.array(line, { maxLength: 3 }),
      placedAt: instant,
      cancelledAt: fc.constant(null),
      updatedAt,
    });
    // What a payment provider knows: the money and the status, no store, no items.
    const paymentOnly = order.map((o): CanonicalOrder => ({ ...o, storeExternalId: null, channel: null, lines: [], paymentOnly: true }));
    const refund: fc.Arbitrary<CanonicalRefund> = fc
      .record({
        externalId: fc.constantFrom(...REFUND_IDS),
        by: fc.constantFrom('order', 'payment', 'both'),
        orderExternalId: fc.constantFrom(...ORDER_IDS),
        paymentRef: fc.constantFrom(...PAYMENT_REFS),
        amount: money,
        currency: fc.constantFrom('EUR', 'USD'),
        refundedAt: instant,
      })
      .map(({ by, ...r }) => ({ ...r, orderExternalId: by === 'payment' ? null : r.orderExternalId, paymentRef: by === 'order' ? null : r.paymentRef, reason: null }));
    const status = fc.record({
      kind: fc.constant('order-status' as const),
      orderExternalId: fc.constantFrom(...ORDER_IDS),
      paymentRef: fc.option(fc.constantFrom(...PAYMENT_REFS), { nil: null }),
      status: fc.constantFrom(...STATUSES),
      money: fc.option(fc.tuple(money, fc.constantFrom('EUR', 'USD')), { nil: null }),
      updatedAt,
    }).map(({ money: m, ...c }): CommerceChange => ({ ...c, amount: m ? m[0] : null, currency: m ? m[1] : null }));
    const change: fc.Arbitrary<CommerceChange> = fc.oneof(
      { arbitrary: order.map((o): CommerceChange => ({ kind: 'order', order: o })), weight: 6 },
      { arbitrary: paymentOnly.map((o): CommerceChange => ({ kind: 'order', order: o })), weight: 1 },
      { arbitrary: status, weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('order-deleted' as const), orderExternalId: fc.constantFrom(...ORDER_IDS), updatedAt }), weight: 1 },
      { arbitrary: refund.map((r): CommerceChange => ({ kind: 'refund', refund: r })), weight: 4 },
    );
    const step: fc.Arbitrary<Step> = fc.oneof(
      { arbitrary: fc.record({ source: fc.constantFrom<0 | 1>(0, 0, 0, 1), change }), weight: 6 },
      { arbitrary: fc.record({ replay: fc.nat({ max: 24 }) }), weight: 1 },
    );
    return fc.record({
      tenantZone: fc.constantFrom(...ZONES),
      storeZones: fc.tuple(fc.constantFrom(...ZONES), fc.constantFrom(...ZONES), fc.constantFrom(...ZONES)),
      steps: fc.array(step, { minLength: 1, maxLength: 25, size: 'max' }),
      rebuild: fc.option(fc.subarray([0, 1, 2, 3]), { nil: null }),
    });
  });
}

describe('commerce: sales rollups (property)', function () {
  let h: Harness;
  let t: SignedUpTenant;
  let sources: string[];
  let storeIds: string[];
  // Row id -> readable name, so a counterexample's rows say which store they are about.
  let storeNames: Map<string, string>;

  before(async function () {
    h = await harness();
    t = await signUpTenant(h);
    sources = [(await createSourceAs(h, t.adminToken, 'custom')).id, (await createSourceAs(h, t.adminToken, 'custom')).id];
    // Ingestion creates stores on first sight; made here up front so their time zones can be set before any order.
    const made = await withTenant(h.server.platform.db, t.tenantId, (trx) => resolveStores(trx, t.tenantId, STORES));
    storeIds = STORES.map((s) => made.get(s) ?? assert.fail(`store ${s} was not created`));
    storeNames = new Map([...STORES.map((s, i): [string, string] => [storeIds[i] ?? '', s]), [NO_STORE, '(none)'], [ALL_STORES, '(tenant)']]);
  });

  /** Starts a run from an empty tenant with the run's time zones (set as the owner: there is no API for them here). */
  async function reset(run: Run): Promise<void> {
    for (const table of ['refunds', 'orders', 'customers', 'sales_hourly', 'sales_daily']) {
      await sql`delete from ${sql.table(table)} where tenant_id = ${t.tenantId}`.execute(h.owner);
    }
    await sql`update tenants set timezone = ${run.tenantZone} where id = ${t.tenantId}`.execute(h.owner);
    for (const [i, id] of storeIds.entries()) await sql`update stores set timezone = ${run.storeZones[i] ?? 'UTC'} where id = ${id}`.execute(h.owner);
  }

  /** Applies each step in a transaction of its own, as the normalization job does with one event. */
  async function apply(steps: readonly Step[]): Promise<void> {
    const done: { source: 0 | 1; change: CommerceChange }[] = [];
    for (const step of steps) {
      const s = 'replay' in step ? done[step.replay % Math.max(done.length, 1)] : step;
      if (!s) continue;
      done.push(s);
      const ctx: WriteContext = { tenantId: t.tenantId, sourceId: sources[s.source] ?? null, storeId: null, cipher: h.server.platform.cipher };
      try {
        await withTenant(h.server.platform.db, t.tenantId, (trx) => applyChanges(trx, ctx, [s.change]));
      } catch (err) {
        // A status for an order that does not exist, with no amount to make one from, is refused
        // (the job retries it later); the transaction rolled back, so the rows are as they were.
        if (!(err instanceof Error && /is not known yet/.test(err.message))) throw err;
      }
    }
  }

  /** The rollups, or the reference aggregate, as sorted `table|store|currency|channel|bucket|figures` lines. */
  async function lines(query: RawBuilder<RefRow>): Promise<string[]> {
    const r = await query.execute(h.owner);
    return r.rows
      .filter((x) => !(x.orders === '0' && Number(x.gross) === 0 && x.units === '0' && Number(x.refunds) === 0 && x.refund_count === '0'))
      .map((x) => [x.tbl, storeNames.get(x.store_id) ?? x.store_id, x.currency, x.channel, x.bucket, `orders=${x.orders}`, `gross=${x.gross}`, `units=${x.units}`, `refunds=${x.refunds}`, `refund_count=${x.refund_count}`].join('|'))
      .sort();
  }

  const stored = () =>
    lines(sql<RefRow>`
      select 'hour' as tbl, store_id::text, currency, channel, to_char(hour at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') as bucket,
             orders::text, gross::numeric(18,4)::text as gross, units::text, refunds::numeric(18,4)::text as refunds, refund_count::text
        from sales_hourly where tenant_id = ${t.tenantId}
      union all
      select 'day', store_id::text, currency, channel, to_char(day, 'YYYY-MM-DD'),
             orders::text, gross::numeric(18,4)::text, units::text, refunds::numeric(18,4)::text, refund_count::text
        from sales_daily where tenant_id = ${t.tenantId}`);

  // The definition, spelled out: a counted order adds 1, its total and its units at its placement;
  // an attached refund (whatever its order's status) adds its amount and 1 at its refund time,
  // under its order's store and channel and in its own currency. Hours are UTC hours; days are local
  // days of the store's zone, or of the tenant's when there is no store. Each fact also counts once
  // in the tenant-wide rows (every store and none), whose days are the tenant's.
  const expected = () =>
    lines(sql<RefRow>`
      with facts as (
        select o.store_id, o.currency, coalesce(o.channel, '') as channel, o.placed_at as at,
               1 as orders, o.total as gross, o.units as units, 0::numeric as refunds, 0 as refund_count
          from orders o
         where o.tenant_id = ${t.tenantId} and o.status = any(${COUNTED}::text[])
        union all
        select o.store_id, r.currency, coalesce(o.channel, ''), r.refunded_at, 0, 0, 0, r.amount, 1
          from refunds r join orders o on o.id = r.order_id
         where r.tenant_id = ${t.tenantId} and r.order_id is not null
      ), placed as (
        select coalesce(f.store_id::text, ${NO_STORE}) as store_id, coalesce(s.timezone, tn.timezone) as zone,
               f.currency, f.channel, f.at, f.orders, f.gross, f.units, f.refunds, f.refund_count
          from facts f left join stores s on s.id = f.store_id join tenants tn on tn.id = ${t.tenantId}
        union all
        select ${ALL_STORES}, tn.timezone, f.currency, f.channel, f.at, f.orders, f.gross, f.units, f.refunds, f.refund_count
          from facts f join tenants tn on tn.id = ${t.tenantId}
      ), bucketed as (
        select store_id, currency, channel, orders, gross, units, refunds, refund_count,
               to_char(date_trunc('hour', at at time zone 'UTC'), 'YYYY-MM-DD HH24:MI:SS.MS') as hour,
               to_char(at at time zone zone, 'YYYY-MM-DD') as day
          from placed
      )
      select 'hour' as tbl, store_id, currency, channel, hour as bucket, sum(orders)::text as orders, sum(gross)::numeric(18,4)::text as gross,
             sum(units)::text as units, sum(refunds)::numeric(18,4)::text as refunds, sum(refund_count)::text as refund_count
        from bucketed group by store_id, currency, channel, hour
      union all
      select 'day', store_id, currency, channel, day, sum(orders)::text, sum(gross)::numeric(18,4)::text, sum(units)::text, sum(refunds)::numeric(18,4)::text, sum(refund_count)::text
        from bucketed group by store_id, currency, channel, day`);

  it(`keeps the hourly and daily rollups equal to the orders and refunds rows (${RUNS} random sequences)`, async function () {
    // About 0.2 s a run on two cores, plus shrinking when a run fails.
    this.timeout(Math.max(120_000, RUNS * 2_000));
    await fc.assert(
      fc.asyncProperty(runArb(), async (run) => {
        await reset(run);
        await apply(run.steps);
        const want = await expected();
        assert.deepEqual(await stored(), want, 'incrementally maintained rollups differ from the orders and refunds rows');
        const only = run.rebuild === null ? 'all' : run.rebuild.map((i) => storeIds[i] ?? NO_STORE);
        await withTenant(h.server.platform.db, t.tenantId, (trx) => rebuildRollups(trx, only));
        assert.deepEqual(await stored(), want, `rollups rebuilt for ${run.rebuild === null ? 'the tenant' : `stores ${JSON.stringify(run.rebuild)}`} differ from the orders and refunds rows`);
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  });
});

/** One row of either side of the comparison, every figure as text so that both sides format alike. */
interface RefRow {
  tbl: string;
  store_id: string;
  currency: string;
  channel: string;
  bucket: string;
  orders: string;
  gross: string;
  units: string;
  refunds: string;
  refund_count: string;
}
