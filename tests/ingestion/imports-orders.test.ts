import assert from 'node:assert/strict';
import { CompiledQuery } from 'kysely';
import type { Harness } from '../helpers/harness.ts';
import type { SignedUpTenant } from '../helpers/identity.ts';
import { importFinished, ingestingTenant, uploadImport } from '../helpers/ingestion.ts';
import { rollupProblems } from '../../scripts/lib/rollup-check.ts';

const HEADER = 'external_id,store_external_id,channel,currency,status,total,placed_at,updated_at,customer_external_id,customer_email,customer_name,units';
const STATUSES = ['paid', 'fulfilled', 'pending', 'cancelled', 'refunded'];
const ROWS = 4500;
const BASE = Date.UTC(2025, 2, 1);
const at = (hours: number) => new Date(BASE + hours * 3_600_000).toISOString();

// An order per row, spread over stores (and none), channels, customers (some with personal data) and hours.
function row(i: number, over: { total?: string; updatedAt?: string; placedAt?: string } = {}): string {
  const store = i % 7 === 0 ? '' : `ios-${i % 5}`;
  const customer = i % 11 === 0 ? '' : `ioc-${i % 90}`;
  const email = customer && i % 90 < 30 ? `Buyer${i % 90}@Example.com` : '';
  const name = email ? `Buyer ${i % 90}` : '';
  return [`io-${i}`, store, i % 3 === 0 ? 'pos' : '', 'EUR', STATUSES[i % STATUSES.length], over.total ?? `${10 + (i % 40)}.25`,
    over.placedAt ?? at(i / 3), over.updatedAt ?? at(i / 3), customer, email, name, String(1 + (i % 3))].join(',');
}

// Three batches of 2,000 rows: an order written again two batches later with a newer update
// (it wins), one written again with an older update (it loses), and two rows that fail validation.
function file(): string {
  const lines = [HEADER];
  for (let i = 0; i < ROWS; i++) {
    lines.push(row(i));
    if (i === 2500) lines.push(row(10, { total: '999.00', updatedAt: at(5000) }));
    if (i === 2600) lines.push(row(20, { total: '1.00', updatedAt: at(-5000) }));
    if (i === 3000) lines.push(row(9999, { total: 'lots' }));
    if (i === 4000) lines.push(row(9998, { placedAt: '2025-03-01 10:00' }));
  }
  return `${lines.join('\n')}\n`;
}

// The plain-SQL reference the KPI benchmark checks its loads against, run as the owner.
const problems = (h: Harness, tenantId: string) =>
  rollupProblems(async (text, params) => Number(Object.values((await h.owner.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, params))).rows[0] ?? {})[0] ?? -1), tenantId);

describe('ingestion: bulk order imports', function () {
  let h: Harness;
  let t: SignedUpTenant;
  let key: string;

  before(async function () {
    ({ h, t, key } = await ingestingTenant());
  });

  it('writes a file of several batches: later rows win, older updates lose, rejections are kept, rollups and first orders match the rows', async function () {
    this.timeout(60_000);
    const done = await importFinished(h, key, (await uploadImport(h, key, 'orders', file())).body.id);
    assert.deepEqual([done.status, done.rows_read, done.rows_rejected], ['succeeded', ROWS + 4, 2]);
    // The older copy of io-20 changes nothing, so it is not counted as written.
    assert.equal(done.rows_written, ROWS + 1);
    assert.deepEqual(done.rejections.map((r) => r.row), [3005, 4006]);

    const orders = await h.owner.selectFrom('orders').select(['external_id', 'total', 'units']).where('tenant_id', '=', t.tenantId).execute();
    assert.equal(orders.length, ROWS);
    const byId = new Map(orders.map((o) => [o.external_id, o]));
    assert.equal(byId.get('io-10')?.total, '999.0000', 'the newer update, two batches later, wins');
    assert.equal(byId.get('io-20')?.total, '30.2500', 'the older update loses');
    const lines = await h.owner.selectFrom('order_lines').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', t.tenantId).executeTakeFirstOrThrow();
    assert.equal(Number(lines.n), ROWS, 'one line per order, none left over from a replaced one');

    assert.deepEqual(await problems(h, t.tenantId), [], 'rollups and first orders match the rows');

    const customers = await h.owner.selectFrom('customers').select(['external_id', 'email_ciphertext', 'email_index', 'name_ciphertext']).where('tenant_id', '=', t.tenantId).execute();
    assert.equal(customers.length, 90);
    const buyer = customers.find((c) => c.external_id === 'ioc-1');
    assert.ok(buyer?.email_ciphertext && buyer.email_index && buyer.name_ciphertext, 'email and name are stored encrypted, the email blind-indexed');
    assert.doesNotMatch(`${buyer.email_ciphertext} ${buyer.name_ciphertext}`, /Buyer|example/i);
    assert.ok(customers.find((c) => c.external_id === 'ioc-50')?.email_index === null, 'no email, no index');
  });

  it('importing the same file again leaves the orders, lines and rollups as they were', async function () {
    this.timeout(60_000);
    const again = await importFinished(h, key, (await uploadImport(h, key, 'orders', file())).body.id);
    assert.deepEqual([again.status, again.rows_rejected], ['succeeded', 2]);
    const n = async (table: 'orders' | 'order_lines' | 'customers') =>
      Number((await h.owner.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', t.tenantId).executeTakeFirstOrThrow()).n);
    assert.deepEqual([await n('orders'), await n('order_lines'), await n('customers')], [ROWS, ROWS, 90]);
    assert.deepEqual(await problems(h, t.tenantId), []);
  });
});
