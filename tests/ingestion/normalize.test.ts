import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { CanonicalOrder, CommerceChange } from '../../src/commerce/model.ts';
import { NormalizeError, normalizerFor, parsePayload, type Normalized } from '../../src/ingestion/normalize/index.ts';
import { currencyCode, exponentOf, majorToMinor, minorToMajor, mulMajor, sumMajor, toMajor } from '../../src/ingestion/normalize/money.ts';
import { id } from '../../src/ingestion/normalize/read.ts';
import { DELETE_WINS } from '../../src/ingestion/normalize/woocommerce.ts';
import type { Provider } from '../../src/ingestion/providers/types.ts';
import { FIXTURE_TOPICS, fixtureFile, loadFixture } from '../helpers/fixtures.ts';

type ChangeOf<K extends CommerceChange['kind']> = Extract<CommerceChange, { kind: K }>;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// A fixture's body with some fields replaced (undefined deletes); paths are dotted, array indexes included.
function fixture(provider: Provider, topic: string, edits: Record<string, unknown> = {}): unknown {
  const body: unknown = structuredClone(loadFixture(provider, topic).body);
  for (const [at, value] of Object.entries(edits)) {
    const keys = at.split('.');
    const last = keys.pop() ?? '';
    let node = body as Record<string, unknown>;
    for (const key of keys) node = node[key] as Record<string, unknown>;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return body;
}

function normalize(provider: Provider, topic: string, edits?: Record<string, unknown>): Normalized {
  return normalizerFor(provider)(topic, fixture(provider, topic, edits));
}

function changesOf(result: Normalized): CommerceChange[] {
  if (result.status !== 'changes') assert.fail(`ignored: ${result.reason}`);
  return result.changes;
}

function one<K extends CommerceChange['kind']>(result: Normalized, kind: K): ChangeOf<K> {
  const list = changesOf(result);
  assert.equal(list.length, 1);
  assert.equal(list[0]?.kind, kind);
  return list[0] as ChangeOf<K>;
}

const orderOf = (provider: Provider, topic: string, edits?: Record<string, unknown>): CanonicalOrder => one(normalize(provider, topic, edits), 'order').order;

function failsOn(field: string, fn: () => unknown): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof NormalizeError, `expected a NormalizeError, got ${String(caught)}`);
  assert.equal(caught.field, field);
  assert.ok(caught.message.startsWith(`${field}: `), caught.message);
}

// Every time a change carries, by name, so one check covers them all.
function timesOf(change: CommerceChange): Record<string, string | null> {
  switch (change.kind) {
    case 'order': {
      const { placedAt, cancelledAt, updatedAt, customer } = change.order;
      return { placedAt, cancelledAt, updatedAt, customerCreatedAt: customer?.createdAt ?? null, customerUpdatedAt: customer?.updatedAt ?? null };
    }
    case 'customer':
      return { createdAt: change.customer.createdAt, updatedAt: change.customer.updatedAt };
    case 'product':
      return { updatedAt: change.product.updatedAt };
    case 'refund':
      return { refundedAt: change.refund.refundedAt };
    default:
      return { updatedAt: change.updatedAt };
  }
}

describe('normalize: fixtures', () => {
  const all = (Object.keys(FIXTURE_TOPICS) as Provider[]).flatMap((p) => FIXTURE_TOPICS[p].map((t) => [p, t] as const));

  it('has a fixture for every mapped topic and no stray files', () => {
    for (const provider of Object.keys(FIXTURE_TOPICS) as Provider[]) {
      const expected = FIXTURE_TOPICS[provider].map((t) => path.basename(fixtureFile(provider, t))).sort();
      const onDisk = readdirSync(path.dirname(fixtureFile(provider, 'x'))).sort();
      assert.deepEqual(onDisk, expected, provider);
    }
  });

  it('every fixture normalizes to changes whose times are ISO UTC with milliseconds, updatedAt everywhere', () => {
    for (const [provider, topic] of all) {
      const result = normalize(provider, topic);
      // charge.refunded without its refund list is kept raw on purpose (refund.created carries each refund).
      if (provider === 'stripe' && topic === 'charge.refunded') {
        assert.equal(result.status, 'ignored');
        continue;
      }
      const list = changesOf(result);
      assert.ok(list.length > 0, `${provider} ${topic}`);
      for (const change of list) {
        const times = timesOf(change);
        if (change.kind !== 'refund') assert.equal(typeof times.updatedAt, 'string', `${provider} ${topic} updatedAt`);
        for (const [name, value] of Object.entries(times)) {
          if (value !== null) assert.match(value, ISO_UTC, `${provider} ${topic} ${name}`);
        }
      }
    }
  });

  it('is pure: the same body gives the same changes and is left untouched', () => {
    for (const [provider, topic] of all) {
      const body = fixture(provider, topic);
      const before = structuredClone(body);
      assert.deepEqual(normalizerFor(provider)(topic, body), normalizerFor(provider)(topic, body));
      assert.deepEqual(body, before);
    }
  });

  it('loadFixture returns the exact bytes and their parse', () => {
    const { raw, body } = loadFixture('stripe', 'charge.refunded');
    assert.ok(Buffer.isBuffer(raw));
    assert.deepEqual(body, JSON.parse(raw.toString('utf8')));
  });
});

describe('normalize: unknown topics and malformed payloads', () => {
  it('ignores a topic it does not map, for every provider', () => {
    for (const provider of Object.keys(FIXTURE_TOPICS) as Provider[]) {
      assert.deepEqual(normalizerFor(provider)('fulfillments/create', {}), { status: 'ignored', reason: 'unknown topic fulfillments/create' });
    }
    assert.deepEqual(normalizerFor('stripe')('constructor', {}), { status: 'ignored', reason: 'unknown topic constructor' });
  });

  it('throws NormalizeError naming the field for a known topic with a bad payload', () => {
    failsOn('id', () => normalize('shopify', 'orders/create', { id: undefined }));
    failsOn('total_price', () => normalize('shopify', 'orders/create', { total_price: '271,80' }));
    failsOn('line_items[1].quantity', () => normalize('shopify', 'orders/create', { 'line_items.1.quantity': -2 }));
    failsOn('updated_at', () => normalize('shopify', 'orders/paid', { updated_at: '2024-02-30T10:00:00Z' }));
    failsOn('currency', () => normalize('shopify', 'orders/create', { currency: 'US$' }));
    failsOn('order_id', () => normalize('shopify', 'refunds/create', { order_id: null }));
    failsOn('date_created_gmt', () => normalize('woocommerce', 'order.created', { date_created_gmt: 'yesterday' }));
    failsOn('id', () => normalizerFor('woocommerce')('order.deleted', {}));
    failsOn('data.object.amount_received', () => normalize('stripe', 'payment_intent.succeeded', { 'data.object.amount_received': 24.44 }));
    failsOn('data.object', () => normalizerFor('stripe')('charge.succeeded', { id: 'evt_1', object: 'event' }));
    failsOn('resource.purchase_units[0].amount.value', () => normalize('paypal', 'CHECKOUT.ORDER.APPROVED', { 'resource.purchase_units.0.amount.value': 'abc' }));
    failsOn('resource', () => normalizerFor('paypal')('PAYMENT.CAPTURE.COMPLETED', null));
  });

  it('refuses an integer id that JSON.parse rounded, and parsePayload keeps its digits', () => {
    const text = '{"id":820982911946154508}';
    failsOn('id', () => id(JSON.parse(text), 'id'));
    assert.equal(id(parsePayload(text), 'id'), '820982911946154508');
    assert.deepEqual(parsePayload('{"a":1.5,"b":[2,-3],"c":"9007199254740993"}'), { a: 1.5, b: [2, -3], c: '9007199254740993' });
  });
});

describe('normalize: shopify', () => {
  it('orders/create: the whole order', () => {
    const order = orderOf('shopify', 'orders/create');
    assert.deepEqual(
      { ...order, lines: order.lines.length, customer: null },
      {
        externalId: '5623170187425',
        orderNumber: '1001',
        paymentRef: null,
        storeExternalId: null,
        channel: 'web',
        customer: null,
        currency: 'USD',
        status: 'pending',
        subtotal: '238.00',
        discountTotal: '10.00',
        taxTotal: '23.80',
        shippingTotal: '10.00',
        total: '271.80',
        lines: 2,
        placedAt: '2024-03-05T15:15:00.000Z',
        cancelledAt: null,
        updatedAt: '2024-03-05T15:15:02.000Z',
      },
    );
    assert.deepEqual(order.lines[1], {
      externalId: '518995019',
      productExternalId: '921728736',
      sku: 'CASE-LEATHER-BLK',
      title: 'Leather Case',
      quantity: 2,
      unitPrice: '24.50',
      total: '49.00',
    });
    assert.deepEqual(order.customer, {
      externalId: '207119551',
      email: 'bob.norman@mail.example.com',
      name: 'Bob Norman',
      createdAt: '2024-01-10T14:00:00.000Z',
      updatedAt: '2024-03-05T15:15:01.000Z',
    });
  });

  it('the four order topics are one order moving pending → paid → partially refunded → cancelled', () => {
    const orders = ['orders/create', 'orders/paid', 'orders/updated', 'orders/cancelled'].map((t) => orderOf('shopify', t));
    assert.deepEqual(new Set(orders.map((o) => o.externalId)), new Set(['5623170187425']));
    assert.deepEqual(orders.map((o) => o.status), ['pending', 'paid', 'partially_refunded', 'cancelled']);
    assert.deepEqual(orders.map((o) => o.cancelledAt), [null, null, null, '2024-03-06T17:30:00.000Z']);
    const times = orders.map((o) => o.updatedAt);
    assert.deepEqual([...times].sort(), times);
    assert.equal(new Set(times).size, 4);
  });

  it('maps fulfilment, void and refund statuses, and reads shipping from shipping_lines when the set is absent', () => {
    assert.equal(orderOf('shopify', 'orders/paid', { fulfillment_status: 'fulfilled' }).status, 'fulfilled');
    assert.equal(orderOf('shopify', 'orders/paid', { financial_status: 'refunded' }).status, 'refunded');
    assert.equal(orderOf('shopify', 'orders/create', { financial_status: 'pending' }).status, 'pending');
    assert.equal(orderOf('shopify', 'orders/create', { financial_status: 'voided' }).status, 'cancelled');
    const shipping = orderOf('shopify', 'orders/create', {
      total_shipping_price_set: undefined,
      'shipping_lines.1': { id: 1, title: 'Gift wrap courier', price: '2.5' },
    });
    assert.equal(shipping.shippingTotal, '12.50');
    assert.equal(orderOf('shopify', 'orders/create', { total_shipping_price_set: undefined, shipping_lines: [] }).shippingTotal, '0.00');
    assert.equal(orderOf('shopify', 'orders/create', { customer: null }).customer, null);
    assert.equal(orderOf('shopify', 'orders/create', { created_at: undefined }).placedAt, '2024-03-05T15:15:00.000Z');
  });

  it('refunds/create: the successful refund transactions, naming the order', () => {
    const { refund } = one(normalize('shopify', 'refunds/create'), 'refund');
    assert.deepEqual(refund, {
      externalId: '1067919343',
      orderExternalId: orderOf('shopify', 'orders/create').externalId,
      paymentRef: null,
      amount: '53.90',
      currency: 'USD',
      reason: 'Customer returned the leather cases',
      refundedAt: '2024-03-06T14:00:00.000Z',
    });
    assert.equal(one(normalize('shopify', 'refunds/create', { 'transactions.0.status': 'failure' }), 'refund').refund.amount, '49.00');
    assert.equal(one(normalize('shopify', 'refunds/create', { transactions: [] }), 'refund').refund.amount, '49.00');
    assert.deepEqual(normalize('shopify', 'refunds/create', { transactions: [], refund_line_items: [] }), { status: 'ignored', reason: 'refund moved no money' });
  });

  it('customers/create and customers/update are one customer, newer on update', () => {
    const created = one(normalize('shopify', 'customers/create'), 'customer').customer;
    const updated = one(normalize('shopify', 'customers/update'), 'customer').customer;
    assert.deepEqual(created, { externalId: '207119551', email: 'bob.norman@mail.example.com', name: 'Bob Norman', createdAt: '2024-01-10T14:00:00.000Z', updatedAt: '2024-01-10T14:00:00.000Z' });
    assert.deepEqual(updated, { ...created, updatedAt: '2024-03-05T15:15:01.000Z' });
  });

  it('products/create and products/update: first variant sku and price, no currency', () => {
    const created = one(normalize('shopify', 'products/create'), 'product').product;
    assert.deepEqual(created, { externalId: '632910392', title: 'IPod Nano - 8GB', sku: 'IPOD2008PINK', price: '199.00', currency: null, status: 'active', updatedAt: '2024-01-05T17:00:00.000Z' });
    assert.equal(orderOf('shopify', 'orders/create').lines[0]?.productExternalId, created.externalId);
    const updated = one(normalize('shopify', 'products/update'), 'product').product;
    assert.deepEqual({ price: updated.price, updatedAt: updated.updatedAt }, { price: '189.00', updatedAt: '2024-03-10T12:00:00.000Z' });
  });

  it('zero- and three-decimal shop currencies', () => {
    const yen = orderOf('shopify', 'orders/create', { currency: 'JPY', total_price: '27180.00', total_tax: '2380', 'line_items.1.price': '2450' });
    assert.deepEqual([yen.total, yen.lines[1]?.unitPrice, yen.lines[1]?.total], ['27180', '2450', '4900']);
    failsOn('total_tax', () => orderOf('shopify', 'orders/create', { currency: 'JPY' }));
    const dinar = orderOf('shopify', 'orders/create', { currency: 'KWD', total_price: '83.5', 'line_items.1.price': '7.125' });
    assert.deepEqual([dinar.total, dinar.subtotal, dinar.lines[1]?.total], ['83.500', '238.000', '14.250']);
  });
});

describe('normalize: woocommerce', () => {
  it('order.created: totals, lines, buyer and GMT times', () => {
    const order = orderOf('woocommerce', 'order.created');
    assert.deepEqual(
      { ...order, lines: order.lines.length },
      {
        externalId: '727',
        orderNumber: '727',
        paymentRef: 'ch_3OrWoo2eZvKYlo2C0Wc1tX7A',
        storeExternalId: null,
        channel: 'checkout',
        customer: { externalId: '25', email: 'john.doe@example.com', name: 'John Doe', createdAt: null, updatedAt: '2024-03-07T14:20:13.000Z' },
        currency: 'USD',
        status: 'paid',
        subtotal: '55.98',
        discountTotal: '2.00',
        taxTotal: '5.12',
        shippingTotal: '10.00',
        total: '69.10',
        lines: 2,
        placedAt: '2024-03-07T14:20:11.000Z',
        cancelledAt: null,
        updatedAt: '2024-03-07T14:20:13.000Z',
      },
    );
    assert.deepEqual(order.lines[1], {
      externalId: '316',
      productExternalId: '22',
      sku: 'woo-ship-your-idea-black',
      title: 'Ship Your Idea - Black',
      quantity: 1,
      unitPrice: '12.00',
      total: '10.00',
    });
  });

  it('order.updated: completed is fulfilled, later; every status maps', () => {
    const order = orderOf('woocommerce', 'order.updated');
    assert.deepEqual([order.externalId, order.status, order.updatedAt], ['727', 'fulfilled', '2024-03-08T09:05:40.000Z']);
    const expected = { pending: 'pending', 'on-hold': 'pending', processing: 'paid', completed: 'fulfilled', cancelled: 'cancelled', failed: 'cancelled', refunded: 'refunded', 'checkout-draft': 'pending', constructor: 'pending' };
    for (const [status, canonical] of Object.entries(expected)) {
      assert.equal(orderOf('woocommerce', 'order.updated', { status }).status, canonical, status);
    }
    assert.equal(orderOf('woocommerce', 'order.updated', { status: 'cancelled' }).cancelledAt, '2024-03-08T09:05:40.000Z');
  });

  it('a guest is keyed by billing email, or is no customer without one', () => {
    assert.equal(orderOf('woocommerce', 'order.created', { customer_id: 0, 'billing.email': 'John.Doe@Example.com' }).customer?.externalId, 'guest:john.doe@example.com');
    assert.equal(orderOf('woocommerce', 'order.created', { customer_id: 0, 'billing.email': '' }).customer, null);
  });

  it('rounds the unrounded unit price Woo computes, never the totals', () => {
    const order = orderOf('woocommerce', 'order.created', { 'line_items.0.price': 3.3333333333333335, 'line_items.0.quantity': 3, 'line_items.0.subtotal': '10.00' });
    assert.deepEqual([order.lines[0]?.unitPrice, order.subtotal], ['3.33', '22.00']);
    failsOn('line_items[0].total', () => orderOf('woocommerce', 'order.created', { 'line_items.0.total': '43.985' }));
  });

  it('order.deleted: a bare delete always wins; a trashed order keeps its own time', () => {
    assert.deepEqual(one(normalize('woocommerce', 'order.deleted'), 'order-deleted'), { kind: 'order-deleted', orderExternalId: '727', updatedAt: DELETE_WINS });
    const trashed = normalizerFor('woocommerce')('order.deleted', fixture('woocommerce', 'order.updated', { status: 'trash' }));
    assert.equal(one(trashed, 'order-deleted').updatedAt, '2024-03-08T09:05:40.000Z');
  });

  it('customer.created: the order buyer, never modified so updatedAt is creation', () => {
    const { customer } = one(normalize('woocommerce', 'customer.created'), 'customer');
    assert.deepEqual(customer, { externalId: '25', email: 'john.doe@example.com', name: 'John Doe', createdAt: '2024-02-01T08:00:00.000Z', updatedAt: '2024-02-01T08:00:00.000Z' });
    assert.equal(orderOf('woocommerce', 'order.created').customer?.externalId, customer.externalId);
  });

  it('product.created and product.updated: the ordered product, repriced', () => {
    const created = one(normalize('woocommerce', 'product.created'), 'product').product;
    assert.deepEqual(created, { externalId: '93', title: 'Premium Quality', sku: 'woo-premium-quality', price: '21.99', currency: null, status: 'publish', updatedAt: '2024-01-20T10:00:00.000Z' });
    assert.equal(orderOf('woocommerce', 'order.created').lines[0]?.productExternalId, created.externalId);
    const updated = one(normalize('woocommerce', 'product.updated'), 'product').product;
    assert.deepEqual([updated.price, updated.updatedAt], ['19.99', '2024-03-10T12:00:00.000Z']);
    assert.equal(one(normalize('woocommerce', 'product.updated', { price: '' }), 'product').product.price, null);
  });
});

describe('normalize: stripe', () => {
  const PI = 'pi_3OqXyZ2eZvKYlo2C1a2b3c4d';
  const CH = 'ch_3OqXyZ2eZvKYlo2C1e5f6g7h';

  it('checkout session, payment intent and charge key one order: the payment intent', () => {
    const orders = ['checkout.session.completed', 'payment_intent.succeeded', 'charge.succeeded'].map((t) => orderOf('stripe', t));
    assert.deepEqual(new Set(orders.map((o) => o.externalId)), new Set([PI]));
    assert.deepEqual(new Set(orders.map((o) => o.total)), new Set(['24.44']));
    assert.deepEqual(orders.map((o) => o.status), ['paid', 'paid', 'paid']);
  });

  it('payment_intent.succeeded: the money, the latest charge, the customer by id', () => {
    const order = orderOf('stripe', 'payment_intent.succeeded');
    assert.deepEqual(order, {
      externalId: PI,
      orderNumber: null,
      paymentRef: CH,
      storeExternalId: null,
      channel: 'stripe',
      customer: { externalId: 'cus_PfNqBLdLrqF2Jm', email: null, name: null, createdAt: '2024-03-05T12:03:00.000Z', updatedAt: '2024-03-05T12:03:00.000Z' },
      currency: 'USD',
      status: 'paid',
      subtotal: '24.44',
      discountTotal: '0.00',
      taxTotal: '0.00',
      shippingTotal: '0.00',
      total: '24.44',
      lines: [],
      placedAt: '2024-03-05T12:03:00.000Z',
      cancelledAt: null,
      updatedAt: '2024-03-05T12:03:00.000Z',
      paymentOnly: true,
    });
    assert.equal(orderOf('stripe', 'payment_intent.succeeded', { 'data.object.amount_received': undefined }).total, '24.44');
    assert.equal(orderOf('stripe', 'payment_intent.succeeded', { 'data.object.latest_charge': { id: CH, object: 'charge' } }).paymentRef, CH);
  });

  it('charge.succeeded: billing details, a charge with no intent keys itself, an authorization is pending', () => {
    const order = orderOf('stripe', 'charge.succeeded');
    assert.deepEqual([order.paymentRef, order.updatedAt], [CH, '2024-03-05T12:03:01.000Z']);
    assert.deepEqual(order.customer, { externalId: 'cus_PfNqBLdLrqF2Jm', email: 'jenny.rosen@example.com', name: 'Jenny Rosen', createdAt: '2024-03-05T12:03:01.000Z', updatedAt: '2024-03-05T12:03:01.000Z' });
    const bare = orderOf('stripe', 'charge.succeeded', { 'data.object.payment_intent': null, 'data.object.customer': null, 'data.object.billing_details.email': 'Jenny.Rosen@example.com' });
    assert.deepEqual([bare.externalId, bare.customer?.externalId], [CH, 'email:jenny.rosen@example.com']);
    const auth = orderOf('stripe', 'charge.succeeded', { 'data.object.captured': false, 'data.object.amount_captured': 0 });
    assert.deepEqual([auth.status, auth.total], ['pending', '24.44']);
    assert.equal(orderOf('stripe', 'charge.succeeded', { 'data.object.amount_captured': 2000 }).total, '20.00');
  });

  it('checkout.session.completed: the breakdown and the buyer', () => {
    const order = orderOf('stripe', 'checkout.session.completed');
    assert.deepEqual(
      { subtotal: order.subtotal, discount: order.discountTotal, tax: order.taxTotal, shipping: order.shippingTotal, total: order.total, channel: order.channel, paymentRef: order.paymentRef },
      { subtotal: '20.00', discount: '2.00', tax: '1.44', shipping: '5.00', total: '24.44', channel: 'checkout', paymentRef: null },
    );
    assert.deepEqual(order.customer, { externalId: 'cus_PfNqBLdLrqF2Jm', email: 'jenny.rosen@example.com', name: 'Jenny Rosen', createdAt: '2024-03-05T12:01:00.000Z', updatedAt: '2024-03-05T12:01:00.000Z' });
    assert.equal(orderOf('stripe', 'checkout.session.completed', { 'data.object.payment_status': 'unpaid' }).status, 'pending');
    const subscription = orderOf('stripe', 'checkout.session.completed', { 'data.object.payment_intent': null, 'data.object.customer': null });
    assert.deepEqual([subscription.externalId.startsWith('cs_test_'), subscription.customer?.externalId], [true, 'email:jenny.rosen@example.com']);
    assert.deepEqual(normalize('stripe', 'checkout.session.completed', { 'data.object.mode': 'setup', 'data.object.currency': null }), { status: 'ignored', reason: 'setup session moves no money' });
  });

  it('charge.refunded: each embedded refund, or nothing when the charge names none (refund.created counts them)', () => {
    assert.equal(normalize('stripe', 'charge.refunded').status, 'ignored');
    const refund = (fixture('stripe', 'refund.created') as { data: { object: unknown } }).data.object;
    const failed = { ...(refund as object), id: 're_failed', status: 'failed' };
    const embedded = changesOf(normalize('stripe', 'charge.refunded', { 'data.object.refunds': { object: 'list', data: [refund, failed], has_more: false } }));
    assert.deepEqual(embedded, changesOf(normalize('stripe', 'refund.created')));
  });

  it('refund.created: names the intent and the charge', () => {
    assert.deepEqual(one(normalize('stripe', 'refund.created'), 'refund').refund, {
      externalId: 're_3OqXyZ2eZvKYlo2C1i9j0k1l',
      orderExternalId: PI,
      paymentRef: CH,
      amount: '10.00',
      currency: 'USD',
      reason: 'requested_by_customer',
      refundedAt: '2024-03-06T12:00:00.000Z',
    });
    assert.equal(one(normalize('stripe', 'refund.created', { 'data.object.payment_intent': null }), 'refund').refund.orderExternalId, null);
    assert.equal(normalize('stripe', 'refund.created', { 'data.object.status': 'canceled' }).status, 'ignored');
  });

  it('customer.created', () => {
    assert.deepEqual(one(normalize('stripe', 'customer.created'), 'customer').customer, {
      externalId: 'cus_PfNqBLdLrqF2Jm',
      email: 'jenny.rosen@example.com',
      name: 'Jenny Rosen',
      createdAt: '2024-03-05T12:00:00.000Z',
      updatedAt: '2024-03-05T12:00:00.000Z',
    });
  });

  it('scales minor units by Stripe currency: JPY 0, KWD 3, ISK counted in hundredths', () => {
    const yen = orderOf('stripe', 'payment_intent.succeeded', { 'data.object.currency': 'jpy', 'data.object.amount_received': 2444 });
    assert.deepEqual([yen.currency, yen.total, yen.taxTotal], ['JPY', '2444', '0']);
    const dinar = orderOf('stripe', 'checkout.session.completed', { 'data.object.currency': 'kwd', 'data.object.amount_total': 12340, 'data.object.total_details.amount_tax': 5 });
    assert.deepEqual([dinar.total, dinar.taxTotal, dinar.subtotal], ['12.340', '0.005', '2.000']);
    assert.equal(orderOf('stripe', 'payment_intent.succeeded', { 'data.object.currency': 'isk', 'data.object.amount_received': 150000 }).total, '1500');
    failsOn('data.object.amount_received', () => orderOf('stripe', 'payment_intent.succeeded', { 'data.object.currency': 'isk', 'data.object.amount_received': 150050 }));
  });
});

describe('normalize: paypal', () => {
  const ORDER = '5O190127TN364715T';
  const CAPTURE = '3C679366HH908993F';

  it('CHECKOUT.ORDER.APPROVED: the approved order, pending until captured', () => {
    const order = orderOf('paypal', 'CHECKOUT.ORDER.APPROVED');
    assert.deepEqual(
      { ...order, lines: null },
      {
        externalId: ORDER,
        orderNumber: null,
        paymentRef: null,
        storeExternalId: null,
        channel: 'paypal',
        customer: { externalId: 'QYR5Z8XDVJNXQ', email: 'customer@example.com', name: 'John Doe', createdAt: null, updatedAt: '2024-03-09T18:05:12.000Z' },
        currency: 'USD',
        status: 'pending',
        subtotal: '90.00',
        discountTotal: '5.00',
        taxTotal: '5.00',
        shippingTotal: '10.00',
        total: '100.00',
        lines: null,
        placedAt: '2024-03-09T18:04:40.000Z',
        cancelledAt: null,
        updatedAt: '2024-03-09T18:05:12.000Z',
      },
    );
    assert.deepEqual(order.lines, [{ externalId: null, productExternalId: null, sku: 'TSHIRT-BLU-M', title: 'T-Shirt', quantity: 2, unitPrice: '45.00', total: '90.00' }]);
    const captured = orderOf('paypal', 'CHECKOUT.ORDER.APPROVED', { 'resource.status': 'COMPLETED', 'resource.purchase_units.0.payments': { captures: [{ id: CAPTURE }] }, 'resource.update_time': undefined });
    assert.deepEqual([captured.status, captured.paymentRef, captured.updatedAt], ['paid', CAPTURE, '2024-03-09T18:04:40.000Z']);
    failsOn('resource.purchase_units', () => orderOf('paypal', 'CHECKOUT.ORDER.APPROVED', { 'resource.purchase_units': [] }));
  });

  it('PAYMENT.CAPTURE.COMPLETED: the approved order is paid, by its capture', () => {
    assert.deepEqual(one(normalize('paypal', 'PAYMENT.CAPTURE.COMPLETED'), 'order-status'), {
      kind: 'order-status',
      orderExternalId: orderOf('paypal', 'CHECKOUT.ORDER.APPROVED').externalId,
      paymentRef: CAPTURE,
      status: 'paid',
      amount: '100.00',
      currency: 'USD',
      updatedAt: '2024-03-09T18:05:30.000Z',
    });
    assert.equal(one(normalize('paypal', 'PAYMENT.CAPTURE.COMPLETED', { 'resource.supplementary_data': undefined }), 'order-status').orderExternalId, CAPTURE);
  });

  it('PAYMENT.CAPTURE.REFUNDED: the refund names the capture through its up link', () => {
    assert.deepEqual(one(normalize('paypal', 'PAYMENT.CAPTURE.REFUNDED'), 'refund').refund, {
      externalId: '1Y107995YT783435V',
      orderExternalId: null,
      paymentRef: one(normalize('paypal', 'PAYMENT.CAPTURE.COMPLETED'), 'order-status').paymentRef,
      amount: '20.00',
      currency: 'USD',
      reason: 'Defective T-shirt',
      refundedAt: '2024-03-11T17:00:00.000Z',
    });
    const linked = one(normalize('paypal', 'PAYMENT.CAPTURE.REFUNDED', { 'resource.supplementary_data': { related_ids: { order_id: ORDER } }, 'resource.links': [] }), 'refund').refund;
    assert.deepEqual([linked.orderExternalId, linked.paymentRef], [ORDER, null]);
  });

  it('a zero-decimal PayPal currency', () => {
    const yen = orderOf('paypal', 'CHECKOUT.ORDER.APPROVED', { 'resource.purchase_units.0.amount': { currency_code: 'JPY', value: '1500' }, 'resource.purchase_units.0.items.0.unit_amount.value': '750' });
    assert.deepEqual([yen.total, yen.subtotal, yen.taxTotal, yen.lines[0]?.total], ['1500', '1500', '0', '1500']);
  });
});

describe('normalize: custom', () => {
  it('passes the canonical shapes through, normalizing money and times', () => {
    const order = orderOf('custom', 'order.upsert');
    assert.deepEqual([order.externalId, order.storeExternalId, order.total, order.lines.length, order.placedAt, order.customer?.updatedAt], ['ORD-2024-0042', 'store-berlin-01', '54.80', 2, '2024-03-12T08:14:00.000Z', '2024-03-12T08:15:00.000Z']);
    assert.deepEqual(one(normalize('custom', 'refund.upsert'), 'refund').refund, fixture('custom', 'refund.upsert', { refundedAt: '2024-03-14T16:00:00.000Z' }));
    assert.deepEqual(one(normalize('custom', 'customer.upsert'), 'customer').customer, order.customer);
    assert.equal(one(normalize('custom', 'product.upsert'), 'product').product.price, '24.90');
    assert.equal(one(normalize('custom', 'product.upsert', { currency: null, price: '24.9' }), 'product').product.price, '24.9');
  });

  it('names the first bad field', () => {
    failsOn('cancelledAt', () => normalize('custom', 'order.upsert', { cancelledAt: undefined }));
    failsOn('total', () => normalize('custom', 'order.upsert', { total: 54.8 }));
    failsOn('lines[1].quantity', () => normalize('custom', 'order.upsert', { 'lines.1.quantity': '1' }));
    failsOn('lines[0].discount', () => normalize('custom', 'order.upsert', { 'lines.0.discount': '1.00' }));
    failsOn('customer.email', () => normalize('custom', 'order.upsert', { 'customer.email': '' }));
    failsOn('status', () => normalize('custom', 'order.upsert', { status: 'shipped' }));
    failsOn('placedAt', () => normalize('custom', 'order.upsert', { placedAt: '2024-03-12T09:14:00' }));
    failsOn('orderNumer', () => normalize('custom', 'order.upsert', { orderNumer: '42' }));
    failsOn('amount', () => normalize('custom', 'refund.upsert', { amount: '10.001' }));
    failsOn('currency', () => normalize('custom', 'product.upsert', { currency: 'EURO' }));
    failsOn('externalId', () => normalize('custom', 'customer.upsert', { externalId: '' }));
  });
});

describe('money', () => {
  it('knows each currency exponent and validates codes', () => {
    assert.deepEqual(['JPY', 'USD', 'KWD'].map(exponentOf), [0, 2, 3]);
    assert.equal(currencyCode('usd'), 'USD');
    for (const bad of ['US', 'US1', 'EURO', 5, null]) assert.throws(() => currencyCode(bad), NormalizeError);
  });

  it('normalizes decimals to the exponent without floats', () => {
    assert.deepEqual([toMajor('12.3', 'USD'), toMajor(12.3, 'USD'), toMajor('007', 'KWD'), toMajor('1200.00', 'JPY'), toMajor(1e21, 'USD')], ['12.30', '12.30', '7.000', '1200', '1000000000000000000000.00']);
    assert.deepEqual([sumMajor(['0.10', '0.20'], 'USD'), sumMajor([], 'JPY'), mulMajor('19.99', 3, 'USD'), mulMajor('0.125', 7, 'KWD')], ['0.30', '0', '59.97', '0.875']);
    assert.deepEqual([toMajor('2.345', 'USD', 'p', { round: true }), toMajor('-2.345', 'USD', 'p', { round: true }), toMajor('2.3449', 'USD', 'p', { round: true }), toMajor(1e-7, 'USD', 'p', { round: true })], ['2.35', '-2.35', '2.34', '0.00']);
    for (const bad of ['12,30', '', ' 1', '1.', '.5', '1e3', Number.NaN, Infinity, '12.345']) assert.throws(() => toMajor(bad, 'USD'), NormalizeError, String(bad));
  });

  it('property: minor units to major strings and summed agree with BigInt arithmetic', () => {
    const currency = fc.constantFrom('USD', 'JPY', 'KWD', 'CLF');
    const minor = fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n });
    fc.assert(
      fc.property(currency, fc.array(minor, { maxLength: 20 }), (code, minors) => {
        const majors = minors.map((m) => minorToMajor(m, code));
        for (const [i, m] of minors.entries()) assert.equal(majorToMinor(majors[i], code), m);
        assert.equal(sumMajor(majors, code), minorToMajor(minors.reduce((a, b) => a + b, 0n), code));
      }),
    );
    fc.assert(
      fc.property(currency, minor, fc.integer({ min: 0, max: 10_000 }), (code, price, quantity) => {
        assert.equal(mulMajor(minorToMajor(price, code), quantity, code), minorToMajor(price * BigInt(quantity), code));
      }),
    );
  });
});
