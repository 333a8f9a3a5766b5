import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { COUNTED_STATUSES } from '../../src/commerce/rollups.ts';
import { weekendDirection, HOLIDAYS } from '../../scripts/lib/demo/demand.ts';
import { SEED_DEFAULTS, seedDemoData, type SeedDeps, type SeedOptions, type SeedSummary } from '../../scripts/lib/demo/seed.ts';
import { dayNumber, localToUtc, weekday } from '../../scripts/lib/demo/time.ts';
import { harness, type Harness } from '../helpers/harness.ts';
import { signUpTenant } from '../helpers/identity.ts';

// Two stores over the turn of the year (Christmas and New Year are closed days): a Berlin EUR store
// busier at weekends and a Tokyo JPY store quieter then, at full volume so the rhythm stands out.
const OPTS: SeedOptions = { ...SEED_DEFAULTS, stores: 2, days: 20, from: '2025-12-15', scale: 1 };

interface OrderRow {
  external_id: string;
  store: string;
  status: string;
  currency: string;
  total: string;
  placed_at: string;
}

describe('commerce: demo seeding (scripts/seed-demo.ts)', function () {
  this.timeout(120_000);
  let h: Harness;
  let deps: SeedDeps;
  const tenants: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
  let summary: SeedSummary;

  async function ordersOf(tenantId: string): Promise<OrderRow[]> {
    const r = await sql<OrderRow>`select o.external_id, s.external_id as store, o.status, o.currency, o.total::text as total,
          to_char(o.placed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as placed_at
        from orders o join stores s on s.id = o.store_id where o.tenant_id = ${tenantId} order by o.external_id`.execute(h.owner);
    return r.rows;
  }

  before(async function () {
    h = await harness();
    deps = { db: h.server.platform.db, cipher: h.server.platform.cipher };
    for (const k of ['a', 'b', 'c'] as const) tenants[k] = (await signUpTenant(h)).tenantId;
    summary = await seedDemoData(deps, tenants.a, { ...OPTS, seed: 42 });
    await seedDemoData(deps, tenants.b, { ...OPTS, seed: 42 });
    await seedDemoData(deps, tenants.c, { ...OPTS, seed: 7 });
  });

  it('turns local wall-clock times into UTC across DST changes', function () {
    const at = (day: string, hours: number, zone: string) => new Date(localToUtc(dayNumber(day), hours * 3600, zone)).toISOString();
    assert.equal(at('2025-03-30', 12, 'Europe/Berlin'), '2025-03-30T10:00:00.000Z');
    assert.equal(at('2025-03-30', 1.5, 'Europe/Berlin'), '2025-03-30T00:30:00.000Z');
    // 02:30 does not exist that night in Berlin: it lands an hour later, 03:30 CEST.
    assert.equal(at('2025-03-30', 2.5, 'Europe/Berlin'), '2025-03-30T01:30:00.000Z');
    assert.equal(at('2025-03-09', 2.5, 'America/New_York'), '2025-03-09T07:30:00.000Z');
    // 01:30 happens twice in New York on 2 November: the second (EST) one is taken.
    assert.equal(at('2025-11-02', 1.5, 'America/New_York'), '2025-11-02T06:30:00.000Z');
    assert.equal(at('2025-11-02', 12, 'America/New_York'), '2025-11-02T17:00:00.000Z');
    assert.equal(at('2025-07-01', 9, 'Asia/Tokyo'), '2025-07-01T00:00:00.000Z');
  });

  it('is deterministic: the same seed gives the same orders and refunds, another seed others', async function () {
    const [a, b, c] = await Promise.all([ordersOf(tenants.a), ordersOf(tenants.b), ordersOf(tenants.c)]);
    assert.ok(a.length > 1000, `only ${a.length} orders`);
    assert.equal(a.length, summary.orders);
    assert.deepEqual(b, a);
    assert.notDeepEqual(c, a);
    const refunds = (t: string) => sql<{ external_id: string; amount: string; refunded_at: Date }>`
      select external_id, amount::text as amount, refunded_at from refunds where tenant_id = ${t} order by external_id`.execute(h.owner);
    assert.deepEqual((await refunds(tenants.b)).rows, (await refunds(tenants.a)).rows);
  });

  it('shows the weekly rhythm of each store type, holidays aside', async function () {
    const orders = await ordersOf(tenants.a);
    for (const store of summary.stores) {
      const perDay = new Map<number, number>();
      for (let d = dayNumber(OPTS.from); d < dayNumber(OPTS.from) + OPTS.days; d++) perDay.set(d, 0);
      // The external id carries the store-local day: demo-001-20251215-0001.
      for (const o of orders.filter((x) => x.store === store.externalId)) {
        const ymd = o.external_id.split('-')[2] ?? '';
        const d = dayNumber(`${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`);
        perDay.set(d, (perDay.get(d) ?? 0) + 1);
      }
      const open = [...perDay].filter(([d]) => !HOLIDAYS.includes(new Date(d * 86_400_000).toISOString().slice(5, 10)));
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const weekend = mean(open.filter(([d]) => weekday(d) >= 6).map(([, n]) => n));
      const weekdays = mean(open.filter(([d]) => weekday(d) <= 5).map(([, n]) => n));
      assert.equal(Math.sign(weekend - weekdays), weekendDirection(store.storeType), `${store.externalId} (type ${store.storeType}): weekend ${weekend.toFixed(1)}, weekdays ${weekdays.toFixed(1)}`);
    }
  });

  it('keeps yen amounts whole', async function () {
    const r = await sql<{ total: string; subtotal: string; tax_total: string; line_total: string; unit_price: string }>`
      select o.total::text as total, o.subtotal::text as subtotal, o.tax_total::text as tax_total, l.total::text as line_total, l.unit_price::text as unit_price
      from orders o join order_lines l on l.order_id = o.id where o.tenant_id = ${tenants.a} and o.currency = 'JPY'`.execute(h.owner);
    assert.ok(r.rows.length > 100, 'the yen store has orders');
    for (const row of r.rows) for (const v of Object.values(row)) assert.ok(Number.isInteger(Number(v)), `not whole yen: ${v}`);
    const refunds = await sql<{ amount: string }>`select amount::text as amount from refunds where tenant_id = ${tenants.a} and currency = 'JPY'`.execute(h.owner);
    for (const x of refunds.rows) assert.ok(Number.isInteger(Number(x.amount)), `refund not whole yen: ${x.amount}`);
  });

  it('has no orders on public holidays, reported as closed', async function () {
    const r = await sql<{ day: string; orders: number }>`
      select d.day::text as day, (select count(*) from orders o where o.store_id = s.id and (o.placed_at at time zone s.timezone)::date = d.day)::int as orders
      from store_daily_sales d join stores s on s.id = d.store_id
      where d.tenant_id = ${tenants.a} and d.state_holiday = 'a' and not d.open and d.sales = 0`.execute(h.owner);
    // 25 and 26 December and 1 January, for each of the two stores.
    assert.deepEqual([...new Set(r.rows.map((x) => x.day))].sort(), ['2025-12-25', '2025-12-26', '2026-01-01']);
    assert.equal(r.rows.length, 6);
    assert.ok(r.rows.every((x) => x.orders === 0));
  });

  it('refunds some orders a few days later, each referencing its order', async function () {
    const r = await sql<{ external_id: string; order_external_id: string; order_id: string | null; matches: boolean; later: boolean; within: boolean; status: string }>`
      select r.external_id, r.order_external_id, r.order_id, o.external_id = r.order_external_id as matches,
             r.refunded_at > o.placed_at + interval '1 day' and r.refunded_at < o.placed_at + interval '15 days' as later,
             r.amount > 0 and r.amount <= o.total as within, o.status
      from refunds r left join orders o on o.id = r.order_id where r.tenant_id = ${tenants.a}`.execute(h.owner);
    assert.ok(r.rows.length > 0);
    assert.equal(r.rows.length, summary.refunds);
    for (const x of r.rows) {
      assert.ok(x.order_id && x.matches && x.later && x.within, JSON.stringify(x));
      assert.ok(['partially_refunded', 'refunded'].includes(x.status), x.status);
    }
    const orders = await ordersOf(tenants.a);
    const share = r.rows.length / orders.length;
    assert.ok(share > 0.01 && share < 0.06, `refund share ${share}`);
  });

  it('keeps sales_daily equal to the counted orders, and to the reported daily rows', async function () {
    const storeIds = sql`(select id from stores where tenant_id = ${tenants.a})`;
    const gross = await sql<{ gross: string }>`select coalesce(sum(gross), 0)::text as gross from sales_daily where tenant_id = ${tenants.a} and store_id in ${storeIds}`.execute(h.owner);
    const counted = await sql<{ total: string }>`select coalesce(sum(total), 0)::text as total from orders
        where tenant_id = ${tenants.a} and status in (${sql.join([...COUNTED_STATUSES])})`.execute(h.owner);
    assert.equal(Number(gross.rows[0]?.gross), Number(counted.rows[0]?.total));
    assert.ok(Number(counted.rows[0]?.total) > 0);
    // Per store and local day, the rollup's gross is what the store reported as sales.
    const mismatched = await sql<{ day: string }>`
      select d.day::text as day from store_daily_sales d
      left join (select store_id, day, sum(gross) as gross from sales_daily where tenant_id = ${tenants.a} group by 1, 2) r on r.store_id = d.store_id and r.day = d.day
      where d.tenant_id = ${tenants.a} and coalesce(r.gross, 0) <> d.sales`.execute(h.owner);
    assert.deepEqual(mismatched.rows, []);
  });

  it('re-runs idempotently, and --replace leaves exactly what a fresh run of the new seed would', async function () {
    const before = await ordersOf(tenants.a);
    await seedDemoData(deps, tenants.a, { ...OPTS, seed: 42 });
    assert.deepEqual(await ordersOf(tenants.a), before);

    const replaced = await seedDemoData(deps, tenants.b, { ...OPTS, seed: 7, replace: true });
    assert.ok(replaced.replaced && replaced.replaced.orders === before.length, JSON.stringify(replaced.replaced));
    assert.deepEqual(await ordersOf(tenants.b), await ordersOf(tenants.c));
    const customers = (t: string) => sql<{ external_id: string }>`select external_id from customers where tenant_id = ${t} order by external_id`.execute(h.owner);
    assert.deepEqual((await customers(tenants.b)).rows, (await customers(tenants.c)).rows);
    const products = (t: string) => sql<{ external_id: string; price: string }>`select external_id, price::text as price from products where tenant_id = ${t} order by external_id`.execute(h.owner);
    assert.deepEqual((await products(tenants.b)).rows, (await products(tenants.c)).rows);
  });
});
