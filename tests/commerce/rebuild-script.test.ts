import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { CommerceChange } from '../../src/commerce/model.ts';
import { applyChanges, resolveStores } from '../../src/commerce/write.ts';
import { withTenant } from '../../src/platform/tenancy.ts';
import { harness, redisPrefix, type Harness } from '../helpers/harness.ts';
import { api, signUpTenant, type SignedUpTenant } from '../helpers/identity.ts';
import { runScript } from '../helpers/scripts.ts';
import type { components } from '../../generated/api.ts';

// The suite's Redis prefix: the script's cache invalidation must reach the test server's answers.
const rebuild = (...args: string[]) => runScript('rebuild-rollups', args, { REDIS_KEY_PREFIX: redisPrefix });

const order = (externalId: string, storeExternalId: string | null, placedAt: string): CommerceChange => ({
  kind: 'order',
  order: {
    externalId, orderNumber: null, paymentRef: null, storeExternalId, channel: 'web', customer: null, currency: 'EUR', status: 'paid',
    subtotal: '5.00', discountTotal: '0', taxTotal: '0', shippingTotal: '0', total: '5.00', lines: [], placedAt, cancelledAt: null, updatedAt: placedAt,
  },
});

describe('scripts/rebuild-rollups.ts', function () {
  // Each run starts a platform of its own: a second or two.
  this.timeout(60_000);
  let h: Harness;
  let t: SignedUpTenant;
  let stores: Map<string, string>;

  /** The tenant's rollup rows as sorted strings (as the owner sees them). */
  async function rows(): Promise<string[]> {
    const r = await sql<{ line: string }>`
      select concat_ws('|', 'hour', store_id, currency, channel, hour, orders, gross, units, refunds, refund_count) as line from sales_hourly where tenant_id = ${t.tenantId}
      union all
      select concat_ws('|', 'day', store_id, currency, channel, day, orders, gross, units, refunds, refund_count) from sales_daily where tenant_id = ${t.tenantId}`.execute(h.owner);
    return r.rows.map((x) => x.line).sort();
  }

  before(async function () {
    h = await harness();
    t = await signUpTenant(h);
    const ctx = { tenantId: t.tenantId, sourceId: null, storeId: null, cipher: h.server.platform.cipher };
    stores = await withTenant(h.server.platform.db, t.tenantId, (trx) => resolveStores(trx, t.tenantId, ['x', 'y']));
    await withTenant(h.server.platform.db, t.tenantId, (trx) =>
      applyChanges(trx, ctx, [order('o-1', 'x', '2026-03-10T10:00:00Z'), order('o-2', 'y', '2026-03-11T10:00:00Z'), order('o-3', null, '2026-03-12T10:00:00Z')]),
    );
  });

  it('rebuilds a tenant’s rollups from its orders and refunds, and says how many rows there are', async function () {
    const before = await rows();
    assert.ok(before.length > 0);
    for (const table of ['sales_hourly', 'sales_daily']) await sql`delete from ${sql.table(table)} where tenant_id = ${t.tenantId}`.execute(h.owner);
    const r = await rebuild('--tenant', t.slug);
    assert.equal(r.code, 0, r.stderr);
    const hourly = before.filter((l) => l.startsWith('hour|')).length;
    assert.match(r.stdout, new RegExp(`^${t.slug}: ${hourly} hourly and ${before.length - hourly} daily rollup rows, rebuilt in \\d+ ms\\n$`));
    assert.deepEqual(await rows(), before);
  });

  it('rebuilds only the stores named, leaving the others’ rows alone', async function () {
    const before = await rows();
    await sql`delete from sales_daily where tenant_id = ${t.tenantId} and store_id = ${stores.get('x')}`.execute(h.owner);
    await sql`update sales_daily set orders = 99 where tenant_id = ${t.tenantId} and store_id = ${stores.get('y')}`.execute(h.owner);
    const r = await rebuild('--tenant', t.slug, '--store', 'x');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${t.slug} \\(stores x\\): 1 hourly and 1 daily rollup rows, rebuilt in \\d+ ms\\n$`));
    const after = await rows();
    assert.deepEqual(after.filter((l) => !l.includes(`|${stores.get('y') ?? ''}|`)), before.filter((l) => !l.includes(`|${stores.get('y') ?? ''}|`)));
    assert.ok(after.some((l) => l.startsWith(`day|${stores.get('y') ?? ''}|`) && l.includes('|99|')), 'store y was rebuilt too');
    assert.equal((await rebuild('--tenant', t.slug, '--store', 'x', '--store', 'y')).code, 0);
    assert.deepEqual(await rows(), before);
  });

  it('drops the tenant’s cached KPI answers, so a rebuild that corrects the rollups shows at once', async function () {
    const march = '/kpis?from=2026-03-01T00%3A00%3A00Z&to=2026-04-01T00%3A00%3A00Z';
    const gross = async () => (await api<components['schemas']['KpiReport']>(h, 'GET', march, { token: t.adminToken })).body.groups.map((g) => g.gross_revenue.value);
    assert.deepEqual(await gross(), ['15.00']);
    // A change the rollups never heard of (written past the write path): the cached answer stands.
    await sql`update orders set total = 7.00 where tenant_id = ${t.tenantId} and external_id = 'o-1'`.execute(h.owner);
    assert.deepEqual(await gross(), ['15.00']);
    assert.equal((await rebuild('--tenant', t.slug)).code, 0);
    assert.deepEqual(await gross(), ['17.00'], 'the answer is recomputed from the rebuilt rollups');
  });

  it('fails with a message for an unknown tenant or store, and for --store without --tenant', async function () {
    const unknownTenant = await rebuild('--tenant', `no-such-${t.slug}`);
    assert.deepEqual([unknownTenant.code, unknownTenant.stderr], [1, `no tenant no-such-${t.slug}\n`]);
    const unknownStore = await rebuild('--tenant', t.slug, '--store', 'x', '--store', 'nope');
    assert.deepEqual([unknownStore.code, unknownStore.stderr], [1, `tenant ${t.slug} has no store nope\n`]);
    const noTenant = await rebuild('--store', 'x');
    assert.equal(noTenant.code, 1);
    assert.match(noTenant.stderr, /--store needs --tenant/);
  });
});
