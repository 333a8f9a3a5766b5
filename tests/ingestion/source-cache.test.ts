import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { harness, startTestServer, type Harness } from '../helpers/harness.ts';
import { signUpTenant, type SignedUpTenant } from '../helpers/identity.ts';
import { createSourceAs, deliver } from '../helpers/ingestion.ts';
import { shopifyHeaders } from '../helpers/webhook-signing.ts';
import { createSourceCache } from '../../src/ingestion/source-cache.ts';
import { secretCtx } from '../../src/ingestion/context.ts';
import type { Server } from '../../src/server.ts';

const body = readFileSync(new URL('../fixtures/shopify/orders-create.json', import.meta.url));
const signed = (secret: string) => shopifyHeaders(body, secret, { topic: 'orders/create', eventId: randomUUID() });

describe('ingestion: webhook source cache', function () {
  describe('createSourceCache', function () {
    let clock = 0;
    const now = () => clock;
    let loads = 0;
    const load = (v: string | undefined) => () => {
      loads++;
      return Promise.resolve(v);
    };

    beforeEach(function () {
      clock = 1_000_000;
      loads = 0;
    });

    it('answers from memory until the time to live has passed, then loads again', async function () {
      const c = createSourceCache<string>(5, now);
      assert.deepEqual(await c.get('a', load('v1')), { value: 'v1', ageMs: 0 });
      clock += 4_999;
      assert.deepEqual(await c.get('a', load('v2')), { value: 'v1', ageMs: 4_999 });
      clock += 1;
      assert.deepEqual(await c.get('a', load('v2')), { value: 'v2', ageMs: 0 });
      assert.equal(loads, 2);
    });

    it('forgets an entry at once, never keeps a missing source, and keeps nothing with a lifetime of 0', async function () {
      const c = createSourceCache<string>(5, now);
      await c.get('a', load('v1'));
      c.forget('a');
      assert.deepEqual(await c.get('a', load('v2')), { value: 'v2', ageMs: 0 });
      assert.deepEqual(await c.get('missing', load(undefined)), { value: undefined, ageMs: 0 });
      assert.deepEqual(await c.get('missing', load('now there')), { value: 'now there', ageMs: 0 });
      const off = createSourceCache<string>(0, now);
      await off.get('a', load('v1'));
      assert.deepEqual(await off.get('a', load('v2')), { value: 'v2', ageMs: 0 });
    });
  });

  describe('over HTTP', function () {
    let h: Harness;
    let t: SignedUpTenant;
    let other: Server | null = null;

    before(async function () {
      h = await harness();
      t = await signUpTenant(h);
    });

    after(async function () {
      await other?.close();
    });

    it('accepts a secret another instance rotated in within a second: a failed check reads the source again', async function () {
      const src = await createSourceAs(h, t.adminToken, 'shopify');
      assert.equal((await deliver(h, src.path, body, signed(src.secret))).status, 202, 'the source is now cached');
      // Another instance rotates without an overlap: nothing in this process hears of it.
      // A re-read is allowed once the entry is a second old.
      await new Promise((r) => setTimeout(r, 1_050));
      const fresh = `shpss_${randomUUID()}`;
      const cipher = h.server.platform.cipher;
      await h.owner.updateTable('sources').set({ secret_ciphertext: cipher.encrypt(fresh, secretCtx(t.tenantId, 'secret')), previous_secret_ciphertext: null, previous_secret_expires_at: null }).where('id', '=', src.id).execute();
      assert.equal((await deliver(h, src.path, body, signed(fresh))).status, 202, 'the new secret works');
      assert.equal((await deliver(h, src.path, body, signed(src.secret))).status, 401, 'the replaced secret is refused');
    });

    it('sees a source disabled through another instance once its cache lifetime has passed', async function () {
      other = await startTestServer({}, { TIDELINE_ROLE: 'api', WEBHOOK_SOURCE_CACHE_SECONDS: '1' });
      const elsewhere: Harness = { ...h, url: `${other.url ?? ''}/api/v1` };
      const src = await createSourceAs(h, t.adminToken, 'shopify');
      assert.equal((await deliver(elsewhere, src.path, body, signed(src.secret))).status, 202, 'cached by the other instance');
      const patched = await fetch(`${h.url}/sources/${src.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'disabled' }) });
      assert.equal(patched.status, 200);
      assert.equal((await deliver(h, src.path, body, signed(src.secret))).status, 401, 'the instance that made the change refuses at once');
      await new Promise((r) => setTimeout(r, 1_100));
      const after = await deliver(elsewhere, src.path, body, signed(src.secret));
      assert.equal(after.status, 401, 'the other instance refuses once its entry has expired');
      const stored = await h.owner.selectFrom('raw_events').select('id').where('source_id', '=', src.id).execute();
      assert.equal(stored.length, 1, 'only the delivery made while the source was active is stored');
    });
  });
});
