import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { harness, startTestServer, type Harness } from '../helpers/harness.ts';
import { api, expectStatus, signUpTenant, type SignedUpTenant } from '../helpers/identity.ts';
import { createSourceAs, deliver, eventually, settled, type CreatedSource } from '../helpers/ingestion.ts';
import { createPaypalTestPki, signPaypalDelivery, type CertServer, type PaypalTestPki } from '../helpers/paypal-certs.ts';
import { customHeaders, shopifyHeaders, stripeHeaders, unixSeconds, woocommerceHeaders, woocommercePing } from '../helpers/webhook-signing.ts';
import type { Server } from '../../src/server.ts';
import { createDb } from '../../src/platform/db.ts';

const fixture = (provider: string, file: string): Buffer => readFileSync(new URL(`../fixtures/${provider}/${file}.json`, import.meta.url));

/** Flips one byte of a copy. */
function flipped(buf: Buffer, at = Math.floor(buf.length / 2)): Buffer {
  const b = Buffer.from(buf);
  b[at] = (b[at] as number) ^ 0x01;
  return b;
}

async function rawCount(h: Harness, sourceId: string): Promise<number> {
  const r = await h.owner.selectFrom('raw_events').select((eb) => eb.fn.countAll<number>().as('n')).where('source_id', '=', sourceId).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('ingestion: webhooks', function () {
  let h: Harness;
  let t: SignedUpTenant;
  let shopify: CreatedSource;

  before(async function () {
    h = await harness();
    t = await signUpTenant(h);
    shopify = await createSourceAs(h, t.adminToken, 'shopify');
  });

  it('accepts a signed Shopify order, stores it raw and normalizes it into an order with lines', async function () {
    const body = fixture('shopify', 'orders-create');
    const res = await deliver(h, shopify.path, body, shopifyHeaders(body, shopify.secret, { topic: 'orders/create', shopDomain: 'acme.myshopify.com' }));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.status, 'accepted');
    const raw = await settled(h, res.body.raw_event_id as string);
    assert.equal(raw.status, 'processed', raw.status_reason ?? '');
    assert.equal(raw.topic, 'orders/create');
    assert.match(raw.body_ciphertext, /^v1\./, 'the raw body is encrypted at rest');
    const order = await h.owner.selectFrom('orders').selectAll().where('tenant_id', '=', t.tenantId).where('external_id', '=', '5623170187425').executeTakeFirstOrThrow();
    assert.equal(order.total, '271.8000');
    assert.equal(order.currency, 'USD');
    const lines = await h.owner.selectFrom('order_lines').selectAll().where('order_id', '=', order.id).execute();
    assert.equal(lines.length, 2);
    const store = await h.owner.selectFrom('stores').select(['external_id', 'created_via']).where('id', '=', order.store_id as string).executeTakeFirstOrThrow();
    assert.deepEqual(store, { external_id: 'acme.myshopify.com', created_via: 'ingestion' });
  });

  it('accepts the newer lowercase shopify-* header set too', async function () {
    const body = fixture('shopify', 'products-create');
    const res = await deliver(h, shopify.path, body, shopifyHeaders(body, shopify.secret, { topic: 'products/create', family: 'event' }));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await settled(h, res.body.raw_event_id as string)).status, 'processed');
  });

  it('refuses one changed byte in the body or in the signature with 401 and stores nothing', async function () {
    const body = fixture('shopify', 'orders-create');
    const before = await rawCount(h, shopify.id);
    const headers = shopifyHeaders(body, shopify.secret);
    const bad1 = await deliver(h, shopify.path, flipped(body), headers);
    const sig = headers['x-shopify-hmac-sha256'] as string;
    const bad2 = await deliver(h, shopify.path, body, { ...headers, 'x-shopify-hmac-sha256': (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) });
    const { 'x-shopify-hmac-sha256': _omit, ...unsigned } = headers;
    const bad3 = await deliver(h, shopify.path, body, unsigned);
    for (const r of [bad1, bad2, bad3]) {
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    }
    assert.equal(await rawCount(h, shopify.id), before);
    const refused = await h.server.platform.metrics.webhookRefusals.get();
    assert.ok(refused.values.some((v) => v.labels.provider === 'shopify' && v.labels.reason === 'bad-signature' && v.value >= 2), 'refusals are counted by reason');
  });

  it('answers 404 for a source that does not exist, and for a source under another provider path', async function () {
    const body = fixture('shopify', 'orders-create');
    assert.equal((await deliver(h, `/webhooks/shopify/${randomUUID()}`, body, shopifyHeaders(body, shopify.secret))).status, 404);
    assert.equal((await deliver(h, `/webhooks/stripe/${shopify.id}`, body, stripeHeaders(body, shopify.secret))).status, 404);
    assert.equal((await deliver(h, `/webhooks/magento/${shopify.id}`, body, shopifyHeaders(body, shopify.secret))).status, 400);
  });

  it('refuses a delivery signed with another tenant\'s source secret, and stores nothing for either', async function () {
    const other = await signUpTenant(h);
    const theirs = await createSourceAs(h, other.adminToken, 'shopify');
    const body = fixture('shopify', 'orders-create');
    const res = await deliver(h, shopify.path, body, shopifyHeaders(body, theirs.secret));
    assert.equal(res.status, 401);
    assert.equal(await rawCount(h, theirs.id), 0);
    assert.deepEqual(await h.owner.selectFrom('raw_events').select('id').where('tenant_id', '=', other.tenantId).execute(), []);
  });

  it('sending the same delivery 100 times, 20 at once, yields one raw event and one order', async function () {
    const src = await createSourceAs(h, t.adminToken, 'shopify');
    const body = fixture('shopify', 'orders-paid');
    const headers = shopifyHeaders(body, src.secret, { topic: 'orders/paid', eventId: randomUUID() });
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => deliver(h, src.path, body, headers)));
      statuses.push(...batch.map((r) => r.status));
    }
    assert.equal(statuses.filter((s) => s === 202).length, 1, 'exactly one delivery is new');
    assert.equal(statuses.filter((s) => s === 200).length, 99, 'the others are duplicates');
    assert.equal(await rawCount(h, src.id), 1);
    const raw = await h.owner.selectFrom('raw_events').select('id').where('source_id', '=', src.id).executeTakeFirstOrThrow();
    await settled(h, raw.id);
    const orders = await h.owner.selectFrom('orders').select('id').where('source_id', '=', src.id).execute();
    assert.equal(orders.length, 1);
    const jobs = await h.owner.selectFrom('pgboss.job' as never).select(({ fn }) => fn.countAll<number>().as('n')).where('name' as never, '=', 'ingestion.normalize' as never).where('data' as never, '@>', JSON.stringify({ rawEventId: raw.id }) as never).executeTakeFirstOrThrow();
    assert.equal(Number(jobs.n), 1, 'one normalization job');
  });

  it('never lets an older update overwrite a newer one, and counts a refund once', async function () {
    const src = await createSourceAs(h, t.adminToken, 'shopify');
    const created = fixture('shopify', 'orders-create');
    const updated = fixture('shopify', 'orders-updated');
    const refund = fixture('shopify', 'refunds-create');
    // Newest first, then the older create, then the refund twice under two event ids (a provider resend).
    for (const [body, topic] of [[updated, 'orders/updated'], [created, 'orders/create'], [refund, 'refunds/create'], [refund, 'refunds/create']] as const) {
      const r = await deliver(h, src.path, body, shopifyHeaders(body, src.secret, { topic }));
      assert.equal(r.status, 202);
      await settled(h, r.body.raw_event_id as string);
    }
    const order = await h.owner.selectFrom('orders').selectAll().where('source_id', '=', src.id).executeTakeFirstOrThrow();
    assert.equal(order.provider_updated_at.toISOString(), new Date('2024-03-06T09:00:04-05:00').toISOString(), 'the newer update stays');
    assert.equal(order.refunded_total, '53.9000', 'the refund counts once');
    assert.equal(order.status, 'partially_refunded');
    const refunds = await h.owner.selectFrom('refunds').select('id').where('source_id', '=', src.id).execute();
    assert.equal(refunds.length, 1);
  });

  it('keeps an unknown topic raw and marks it ignored, not failed', async function () {
    const body = Buffer.from(JSON.stringify({ id: 42, note: 'theme published' }));
    const r = await deliver(h, shopify.path, body, shopifyHeaders(body, shopify.secret, { topic: 'themes/publish' }));
    assert.equal(r.status, 202);
    const raw = await settled(h, r.body.raw_event_id as string);
    assert.equal(raw.status, 'ignored');
  });

  it('answers 400 for malformed JSON even when signed, 415 for another content type, 413 over the limit', async function () {
    const bad = Buffer.from('{"id": 1, ');
    const r1 = await deliver(h, shopify.path, bad, shopifyHeaders(bad, shopify.secret));
    assert.equal(r1.status, 400);
    const text = Buffer.from('hello');
    const r2 = await deliver(h, shopify.path, text, { ...shopifyHeaders(text, shopify.secret), 'content-type': 'text/plain' });
    assert.equal(r2.status, 415);
    const big = Buffer.from(JSON.stringify({ id: 1, pad: 'x'.repeat(h.config.ingestion.bodyLimits.webhook) }));
    const r3 = await deliver(h, shopify.path, big, shopifyHeaders(big, shopify.secret));
    assert.equal(r3.status, 413);
    assert.equal(r3.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  });

  it('refuses every delivery of a disabled source with 401', async function () {
    const src = await createSourceAs(h, t.adminToken, 'shopify');
    expectStatus(await api(h, 'PATCH', `/sources/${src.id}`, { token: t.adminToken, body: { status: 'disabled' } }), 200);
    const body = fixture('shopify', 'orders-create');
    assert.equal((await deliver(h, src.path, body, shopifyHeaders(body, src.secret))).status, 401);
    assert.equal(await rawCount(h, src.id), 0);
  });

  it('keeps the previous secret valid during a rotation overlap, and not after', async function () {
    const src = await createSourceAs(h, t.adminToken, 'woocommerce');
    const rotated = await api<{ secret: string; previous_secret_expires_at: string }>(h, 'PATCH', `/sources/${src.id}`, { token: t.adminToken, body: { rotate_secret: true, previous_secret_valid_seconds: 3600 } });
    expectStatus(rotated, 200);
    assert.notEqual(rotated.body.secret, src.secret);
    assert.ok(rotated.body.previous_secret_expires_at);
    const body = fixture('woocommerce', 'order-created');
    assert.equal((await deliver(h, src.path, body, woocommerceHeaders(body, src.secret))).status, 202, 'old secret still valid');
    const body2 = fixture('woocommerce', 'product-created');
    assert.equal((await deliver(h, src.path, body2, woocommerceHeaders(body2, rotated.body.secret, { topic: 'product.created' }))).status, 202, 'new secret valid');
    const again = await api<{ secret: string }>(h, 'PATCH', `/sources/${src.id}`, { token: t.adminToken, body: { rotate_secret: true, previous_secret_valid_seconds: 0 } });
    const body3 = fixture('woocommerce', 'order-updated');
    assert.equal((await deliver(h, src.path, body3, woocommerceHeaders(body3, rotated.body.secret, { topic: 'order.updated' }))).status, 401, 'no overlap: the replaced secret is refused');
    assert.equal((await deliver(h, src.path, body3, woocommerceHeaders(body3, again.body.secret, { topic: 'order.updated' }))).status, 202);
  });

  it('acknowledges and records the WooCommerce creation ping, and nothing else', async function () {
    const src = await createSourceAs(h, t.adminToken, 'woocommerce');
    const ping = woocommercePing('12');
    const r = await deliver(h, src.path, ping.body, ping.headers);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'ping');
    const raw = await h.owner.selectFrom('raw_events').selectAll().where('source_id', '=', src.id).execute();
    assert.equal(raw.length, 1);
    assert.equal(raw[0]?.status, 'ignored');
    const jobs = await h.owner.selectFrom('pgboss.job' as never).select(({ fn }) => fn.countAll<number>().as('n')).where('data' as never, '@>', JSON.stringify({ rawEventId: raw[0]?.id }) as never).executeTakeFirstOrThrow();
    assert.equal(Number(jobs.n), 0, 'a ping queues no normalization');
    const unsigned = Buffer.from('{"id": 5}');
    assert.equal((await deliver(h, src.path, unsigned, { 'content-type': 'application/json' })).status, 401);
  });

  it('WooCommerce deliveries without an event id are deduplicated by topic, resource and body', async function () {
    const src = await createSourceAs(h, t.adminToken, 'woocommerce');
    const body = fixture('woocommerce', 'order-created');
    const a = await deliver(h, src.path, body, woocommerceHeaders(body, src.secret));
    const b = await deliver(h, src.path, body, woocommerceHeaders(body, src.secret));
    assert.deepEqual([a.status, b.status], [202, 200]);
    await settled(h, a.body.raw_event_id as string);
    const deleted = fixture('woocommerce', 'order-deleted');
    const d = await deliver(h, src.path, deleted, woocommerceHeaders(deleted, src.secret, { topic: 'order.deleted' }));
    assert.equal((await settled(h, d.body.raw_event_id as string)).status, 'processed');
    const order = await h.owner.selectFrom('orders').select('status').where('source_id', '=', src.id).executeTakeFirstOrThrow();
    assert.equal(order.status, 'deleted');
  });

  describe('Stripe', function () {
    let stripe: CreatedSource;
    before(async function () {
      stripe = await createSourceAs(h, t.adminToken, 'stripe');
    });

    it('accepts a signed event; the payment intent, its charge and its checkout session make one order', async function () {
      for (const file of ['payment_intent-succeeded', 'charge-succeeded', 'checkout-session-completed', 'charge-refunded', 'refund-created']) {
        const body = fixture('stripe', file);
        const r = await deliver(h, stripe.path, body, stripeHeaders(body, stripe.secret));
        assert.equal(r.status, 202, `${file}: ${JSON.stringify(r.body)}`);
        const raw = await settled(h, r.body.raw_event_id as string);
        // Without its refund list, charge.refunded is kept raw: refund.created carries each refund.
        assert.equal(raw.status, file === 'charge-refunded' ? 'ignored' : 'processed', `${file}: ${raw.status_reason ?? ''}`);
      }
      const orders = await h.owner.selectFrom('orders').selectAll().where('source_id', '=', stripe.id).execute();
      assert.equal(orders.length, 1, 'one order for one payment');
      const o = orders[0];
      assert.equal(o?.external_id, 'pi_3OqXyZ2eZvKYlo2C1a2b3c4d');
      // The session's breakdown survives the payment events that came after it; the refund counts once.
      assert.deepEqual([o?.payment_only, o?.channel, o?.tax_total, o?.total, o?.refunded_total, o?.status], [false, 'checkout', '1.4400', '24.4400', '10.0000', 'partially_refunded']);
    });

    it('refuses a stale timestamp, a future one, and a signature made without the whsec_ prefix', async function () {
      const body = fixture('stripe', 'customer-created');
      const old = await deliver(h, stripe.path, body, stripeHeaders(body, stripe.secret, { timestamp: unixSeconds() - 301 }));
      const future = await deliver(h, stripe.path, body, stripeHeaders(body, stripe.secret, { timestamp: unixSeconds() + 301 }));
      const stripped = await deliver(h, stripe.path, body, stripeHeaders(body, stripe.secret.replace(/^whsec_/, '')));
      assert.deepEqual([old.status, future.status, stripped.status], [401, 401, 401]);
      assert.equal(await h.owner.selectFrom('raw_events').select('id').where('source_id', '=', stripe.id).where('topic', '=', 'customer.created').executeTakeFirst(), undefined);
    });
  });

  it('accepts a custom source signed with Tideline-Signature, and refuses it unsigned', async function () {
    const src = await createSourceAs(h, t.adminToken, 'custom');
    const order = { externalId: 'C-1', orderNumber: null, paymentRef: null, storeExternalId: 'pos-7', channel: 'pos', customer: null, currency: 'EUR', status: 'paid', subtotal: '10.00', discountTotal: '0', taxTotal: '0', shippingTotal: '0', total: '10.00', lines: [], placedAt: '2026-03-01T10:00:00.000Z', cancelledAt: null, updatedAt: '2026-03-01T10:00:00.000Z' };
    const body = Buffer.from(JSON.stringify(order));
    const r = await deliver(h, src.path, body, customHeaders(body, src.secret, { topic: 'order.upsert', eventId: 'evt-c-1' }));
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await settled(h, r.body.raw_event_id as string);
    assert.equal((await deliver(h, src.path, body, { 'content-type': 'application/json' })).status, 401);
  });
});

describe('ingestion: PayPal webhooks', function () {
  let pki: PaypalTestPki;
  let certs: CertServer;
  let other: CertServer;
  let server: Server;
  let h: Harness;

  before(async function () {
    pki = await createPaypalTestPki();
    certs = await pki.serve();
    other = await pki.serve();
    server = await startTestServer({}, { PAYPAL_CERT_ORIGINS: certs.origin, PAYPAL_CA_PEM: pki.caPem, PAYPAL_CERT_SUBJECT: 'paypal' });
    const owner = createDb(server.platform.ownerUrl, 2, 'tideline-test-owner-paypal');
    h = { url: `${server.url ?? ''}/api/v1`, server, config: server.platform.config, owner };
  });

  after(async function () {
    await h.owner.destroy();
    await server.close();
    await certs.close();
    await other.close();
  });

  it('accepts a delivery signed with the certificate from the allowed host, and normalizes the order and its capture', async function () {
    const t = await signUpTenant(h);
    const src = await createSourceAs(h, t.adminToken, 'paypal', { webhookId: 'WH-ABC' });
    for (const file of ['CHECKOUT-ORDER-APPROVED', 'PAYMENT-CAPTURE-COMPLETED', 'PAYMENT-CAPTURE-REFUNDED']) {
      const body = fixture('paypal', file);
      const r = await deliver(h, src.path, body, signPaypalDelivery({ body, privateKey: pki.leafPrivateKey, certUrl: certs.url, webhookId: 'WH-ABC' }));
      assert.equal(r.status, 202, `${file}: ${JSON.stringify(r.body)}`);
      const raw = await settled(h, r.body.raw_event_id as string);
      assert.equal(raw.status, 'processed', `${file}: ${raw.status_reason ?? ''}`);
    }
    const orders = await h.owner.selectFrom('orders').selectAll().where('source_id', '=', src.id).execute();
    assert.equal(orders.length, 1);
    assert.equal(certs.requests(), 1, 'the certificate is fetched once and cached');
  });

  it('refuses a certificate from another host without fetching it, a changed byte, and the wrong webhook id', async function () {
    const t = await signUpTenant(h);
    const src = await createSourceAs(h, t.adminToken, 'paypal', { webhookId: 'WH-XYZ' });
    const body = fixture('paypal', 'CHECKOUT-ORDER-APPROVED');
    const elsewhere = await deliver(h, src.path, body, signPaypalDelivery({ body, privateKey: pki.leafPrivateKey, certUrl: other.url, webhookId: 'WH-XYZ' }));
    assert.equal(elsewhere.status, 401);
    assert.equal(other.requests(), 0, 'nothing is fetched from a host that is not allowed');
    const tampered = await deliver(h, src.path, flipped(body), signPaypalDelivery({ body, privateKey: pki.leafPrivateKey, certUrl: certs.url, webhookId: 'WH-XYZ' }));
    assert.equal(tampered.status, 401);
    const wrongId = await deliver(h, src.path, body, signPaypalDelivery({ body, privateKey: pki.leafPrivateKey, certUrl: certs.url, webhookId: 'WH-OTHER' }));
    assert.equal(wrongId.status, 401);
    assert.equal(await rawCount(h, src.id), 0);
  });
});

describe('ingestion: webhook rate limits', function () {
  let server: Server;
  let h: Harness;

  before(async function () {
    server = await startTestServer({}, { RATE_LIMIT_WEBHOOKS_PER_SOURCE_PER_MINUTE: '3' });
    const owner = createDb(server.platform.ownerUrl, 2, 'tideline-test-owner-limits');
    h = { url: `${server.url ?? ''}/api/v1`, server, config: server.platform.config, owner };
  });

  after(async function () {
    await h.owner.destroy();
    await server.close();
  });

  it('answers 429 with Retry-After past the per-source limit, and other sources are unaffected', async function () {
    const t = await signUpTenant(h);
    const a = await createSourceAs(h, t.adminToken, 'shopify');
    const b = await createSourceAs(h, t.adminToken, 'shopify');
    const send = (src: CreatedSource) => {
      const body = Buffer.from(JSON.stringify({ id: Math.floor(Math.random() * 1e9) }));
      return deliver(h, src.path, body, shopifyHeaders(body, src.secret, { topic: 'themes/publish' }));
    };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(a)).status);
    assert.deepEqual(statuses, [202, 202, 202, 429]);
    const limited = await send(a);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await send(b)).status, 202);
    await eventually(async () => ((await rawCount(h, a.id)) === 3 ? true : undefined));
  });

  it('counts only verified deliveries: forged ones never use up the source’s budget', async function () {
    const t = await signUpTenant(h);
    const src = await createSourceAs(h, t.adminToken, 'shopify');
    const body = Buffer.from(JSON.stringify({ id: 1 }));
    for (let i = 0; i < 6; i++) assert.equal((await deliver(h, src.path, body, shopifyHeaders(body, 'forged-secret', { topic: 'themes/publish' }))).status, 401);
    assert.equal((await deliver(h, src.path, body, shopifyHeaders(body, src.secret, { topic: 'themes/publish' }))).status, 202);
  });
});
