import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { DEV_KEY_ID, FieldCipher, devBlindIndexKey, devKeyRing, parseKeyRing, type FieldContext } from '../../src/platform/crypto/index.ts';
import { allEncryptedColumns } from '../../src/domains.ts';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, signUpTenant, type SignedUpTenant } from '../helpers/identity.ts';
import { createSourceAs, deliver, settled } from '../helpers/ingestion.ts';
import { runScript } from '../helpers/scripts.ts';
import { shopifyHeaders } from '../helpers/webhook-signing.ts';

// The operator command as a child process on the suite's database, with the development key plus
// a new active one, the way an operator runs it after appending a key to FIELD_ENCRYPTION_KEYS.
const devKey = devKeyRing().keys.get(DEV_KEY_ID)?.export().toString('base64') ?? '';
const RING = `${DEV_KEY_ID}:${devKey},k2:${randomBytes(32).toString('base64')}`;
const rotated = new FieldCipher(parseKeyRing(RING), devBlindIndexKey());

const reencrypt = (...args: string[]) => runScript('reencrypt', args, { FIELD_ENCRYPTION_KEYS: RING });

interface Value {
  where: string;
  envelope: string;
  ctx: FieldContext;
}

describe('scripts/reencrypt.ts', function () {
  this.timeout(60_000);
  let h: Harness;
  let t: SignedUpTenant;
  let other: SignedUpTenant;

  /** Every envelope the tenant has, with the context it was encrypted under. */
  async function values(tenant: SignedUpTenant): Promise<Value[]> {
    const id = tenant.tenantId;
    const r = await sql<{ where: string; envelope: string; tenant_id: string; col: string; tbl: string }>`
      select 'users.email' as where, u.email_ciphertext as envelope, '00000000-0000-0000-0000-000000000000' as tenant_id, 'users' as tbl, 'email' as col
        from users u join memberships m on m.user_id = u.id where m.tenant_id = ${id}
      union all select 'customers.email', email_ciphertext, tenant_id::text, 'customers', 'email' from customers where tenant_id = ${id} and email_ciphertext is not null
      union all select 'customers.name', name_ciphertext, tenant_id::text, 'customers', 'name' from customers where tenant_id = ${id} and name_ciphertext is not null
      union all select 'raw_events.body', body_ciphertext, tenant_id::text, 'raw_events', 'body' from raw_events where tenant_id = ${id}
      union all select 'sources.secret', secret_ciphertext, tenant_id::text, 'sources', 'secret' from sources where tenant_id = ${id} and secret_ciphertext is not null
      union all select 'sources.previous_secret', previous_secret_ciphertext, tenant_id::text, 'sources', 'previous_secret' from sources where tenant_id = ${id} and previous_secret_ciphertext is not null
      order by 1, 2`.execute(h.owner);
    return r.rows.map((x) => ({ where: x.where, envelope: x.envelope, ctx: { tenantId: x.tenant_id, table: x.tbl, column: x.col } }));
  }

  /** Gives a tenant a value in every encrypted column: its admin, a source rotated once, a delivery and the customer it names. */
  async function populate(tenant: SignedUpTenant): Promise<void> {
    const src = await createSourceAs(h, tenant.adminToken, 'shopify');
    const body = readFileSync(new URL('../fixtures/shopify/orders-create.json', import.meta.url));
    const r = await deliver(h, src.path, body, shopifyHeaders(body, src.secret, { topic: 'orders/create' }));
    assert.equal((await settled(h, r.body.raw_event_id as string)).status, 'processed');
    assert.equal((await api(h, 'PATCH', `/sources/${src.id}`, { token: tenant.adminToken, body: { rotate_secret: true } })).status, 200);
  }

  before(async function () {
    h = await harness();
    t = await signUpTenant(h);
    other = await signUpTenant(h);
    await populate(t);
    await populate(other);
  });

  it('moves every encrypted value of the tenant onto the active key, the same plaintext, and leaves other tenants alone', async function () {
    const before = await values(t);
    assert.deepEqual([...new Set(before.map((v) => v.where))], ['customers.email', 'customers.name', 'raw_events.body', 'sources.previous_secret', 'sources.secret', 'users.email']);
    assert.ok(before.every((v) => v.envelope.startsWith(`v1.${DEV_KEY_ID}.`)));
    const otherBefore = await values(other);

    const run = await reencrypt('--tenant', t.slug);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^active key: k2\n/);
    assert.match(run.stdout, new RegExp(`^${t.slug}: users.email_ciphertext 1, sources.secret_ciphertext 1, sources.previous_secret_ciphertext 1, raw_events.body_ciphertext 1, customers.email_ciphertext 1, customers.name_ciphertext 1 \\(\\d+ ms\\)$`, 'm'));

    const after = await values(t);
    assert.equal(after.length, before.length);
    for (const v of after) assert.ok(v.envelope.startsWith('v1.k2.'), `${v.where} is under the new key`);
    const plain = (vs: Value[]) => vs.map((v) => `${v.where}=${rotated.decrypt(v.envelope, v.ctx)}`).sort();
    assert.deepEqual(plain(after), plain(before));
    assert.deepEqual(await values(other), otherBefore, 'another tenant is untouched');

    const again = await reencrypt('--tenant', t.slug);
    assert.match(again.stdout, new RegExp(`^${t.slug}: nothing to move`, 'm'));
  });

  it('covers every *_ciphertext column of the schema: a domain that adds one must declare it', async function () {
    const r = await sql<{ c: string }>`select table_name || '.' || column_name as c from information_schema.columns
      where table_schema = 'public' and column_name like '%\\_ciphertext' order by 1`.execute(h.owner);
    const declared = allEncryptedColumns.map((c) => `${c.table}.${c.column}`).sort();
    assert.deepEqual(r.rows.map((x) => x.c), declared);
  });

  it('fails with a message for an unknown tenant', async function () {
    const r = await reencrypt('--tenant', `no-such-${t.slug}`);
    assert.deepEqual([r.code, r.stderr], [1, `no tenant no-such-${t.slug}\n`]);
  });
});
