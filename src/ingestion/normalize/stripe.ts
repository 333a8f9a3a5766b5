/**
 * Stripe webhooks: the body is an Event and the resource is `data.object`. Amounts are integers in
 * Stripe's minor units. Every payment event keys its order by the payment intent id, so a
 * checkout session, its payment intent and its charge count as one order.
 */
import type { CanonicalCustomer, CanonicalOrder, CanonicalRefund, CommerceChange, OrderStatus } from '../../commerce/index.ts';
import { minorToMajor } from './money.ts';
import { at, currency, has, id, isoTime, list, minorAmount, obj, optBool, optStr, type At, type Source } from './read.ts';
import { changes, unknownTopic, type Normalized, type Normalizer } from './types.ts';

// Stripe's minor unit is not always ISO's: ISK, HUF and IDR count hundredths in the API although
// Intl gives them no decimals, so the divisor comes from Stripe's own lists.
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);
const UNSETTLED_REFUND = new Set(['failed', 'canceled']);

// How many decimals Stripe's integer amounts carry for a currency.
const stripeExponent = (code: string): number => (ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2);

const money = (src: Source, path: string, code: string): string => minorAmount(src, path, code, stripeExponent(code));
const optMoney = (src: Source, path: string, code: string): string => (has(src, path) ? money(src, path, code) : minorToMajor(0, code));

// An expandable field: an id string, or the expanded object carrying it.
function ref(src: Source, path: string): string | null {
  const found = at(src, path);
  if (found.value === null || found.value === undefined) return null;
  return typeof found.value === 'string' ? id(src, path) : id(found, 'id');
}

// Payments name their customer by id, or only by billing email: then the email is the key.
function payer(customerId: string | null, email: string | null, name: string | null, time: string): CanonicalCustomer | null {
  const externalId = customerId ?? (email === null ? null : `email:${email.toLowerCase()}`);
  return externalId === null ? null : { externalId, email, name, createdAt: time, updatedAt: time };
}

// A payment-only order: Stripe knows the money, not the items, tax or shipping.
function paymentOrder(o: At, fields: { externalId: string; paymentRef: string | null; customer: CanonicalCustomer | null; total: string; code: string; status: OrderStatus }): CanonicalOrder {
  const created = isoTime(o, 'created');
  const zero = minorToMajor(0, fields.code);
  return {
    externalId: fields.externalId,
    orderNumber: null,
    paymentRef: fields.paymentRef,
    storeExternalId: null,
    channel: 'stripe',
    customer: fields.customer,
    currency: fields.code,
    status: fields.status,
    subtotal: fields.total,
    discountTotal: zero,
    taxTotal: zero,
    shippingTotal: zero,
    total: fields.total,
    lines: [],
    placedAt: created,
    cancelledAt: null,
    updatedAt: created,
    // The payment intent, its charge and its checkout session are one order: the session's breakdown
    // must survive the payment events, whichever arrives last.
    paymentOnly: true,
  };
}

function paymentIntent(o: At): CanonicalOrder {
  const code = currency(o, 'currency');
  const customer = payer(ref(o, 'customer'), null, null, isoTime(o, 'created'));
  const total = has(o, 'amount_received') ? money(o, 'amount_received', code) : money(o, 'amount', code);
  return paymentOrder(o, { externalId: id(o, 'id'), paymentRef: ref(o, 'latest_charge'), customer, total, code, status: 'paid' });
}

function charge(o: At): CanonicalOrder {
  const code = currency(o, 'currency');
  // An authorization (captured: false) fires charge.succeeded too: nothing is captured yet.
  const captured = optBool(o, 'captured') ?? true;
  const total = captured && has(o, 'amount_captured') ? money(o, 'amount_captured', code) : money(o, 'amount', code);
  const customer = payer(ref(o, 'customer'), optStr(o, 'billing_details.email'), optStr(o, 'billing_details.name'), isoTime(o, 'created'));
  const chargeId = id(o, 'id');
  return paymentOrder(o, { externalId: ref(o, 'payment_intent') ?? chargeId, paymentRef: chargeId, customer, total, code, status: captured ? 'paid' : 'pending' });
}

function checkoutSession(o: At): Normalized {
  // Setup sessions save a card and move no money (their amounts and currency are null).
  if (optStr(o, 'mode') === 'setup') return { status: 'ignored', reason: 'setup session moves no money' };
  const code = currency(o, 'currency');
  const paid = ['paid', 'no_payment_required'].includes(optStr(o, 'payment_status') ?? '');
  const customer = payer(ref(o, 'customer'), optStr(o, 'customer_details.email'), optStr(o, 'customer_details.name'), isoTime(o, 'created'));
  const base = paymentOrder(o, { externalId: ref(o, 'payment_intent') ?? id(o, 'id'), paymentRef: null, customer, total: money(o, 'amount_total', code), code, status: paid ? 'paid' : 'pending' });
  // Unlike a bare payment, a session knows the breakdown.
  const order: CanonicalOrder = {
    ...base,
    paymentOnly: false,
    channel: 'checkout',
    subtotal: money(o, 'amount_subtotal', code),
    discountTotal: optMoney(o, 'total_details.amount_discount', code),
    taxTotal: optMoney(o, 'total_details.amount_tax', code),
    shippingTotal: optMoney(o, 'total_details.amount_shipping', code),
  };
  return changes({ kind: 'order', order });
}

function refundOf(r: At, orderExternalId: string | null, paymentRef: string | null): CanonicalRefund {
  const code = currency(r, 'currency');
  return { externalId: id(r, 'id'), orderExternalId, paymentRef, amount: money(r, 'amount', code), currency: code, reason: optStr(r, 'reason'), refundedAt: isoTime(r, 'created') };
}

// Older API versions embed the charge's refunds; newer ones only say how much is refunded in all.
function chargeRefunded(o: At): Normalized {
  const chargeId = id(o, 'id');
  const orderId = ref(o, 'payment_intent') ?? chargeId;
  const embedded = has(o, 'refunds.data') ? list(o, 'refunds.data') : [];
  if (embedded.length > 0) {
    const settled = embedded.filter((r) => !UNSETTLED_REFUND.has(optStr(r, 'status') ?? ''));
    const refunds: CommerceChange[] = settled.map((r) => ({ kind: 'refund', refund: refundOf(r, orderId, chargeId) }));
    return refunds.length > 0 ? changes(...refunds) : { status: 'ignored', reason: 'no refund of the charge settled' };
  }
  // Without the list, only a running total is known; each refund also arrives as refund.created
  // under its own id, and counting both would count the money twice.
  return { status: 'ignored', reason: 'the charge names no refunds; refund.created carries each one' };
}

const refundCreated = (o: At): Normalized =>
  UNSETTLED_REFUND.has(optStr(o, 'status') ?? '')
    ? { status: 'ignored', reason: 'refund failed or was canceled' }
    : changes({ kind: 'refund', refund: refundOf(o, ref(o, 'payment_intent'), ref(o, 'charge')) });

function customerCreated(o: At): Normalized {
  const created = isoTime(o, 'created');
  // Stripe customers carry no modification time; creation is the only one known.
  const customer: CanonicalCustomer = { externalId: id(o, 'id'), email: optStr(o, 'email'), name: optStr(o, 'name'), createdAt: created, updatedAt: created };
  return changes({ kind: 'customer', customer });
}

// A Map, not an object literal, so a topic named "constructor" finds nothing.
const HANDLERS = new Map<string, (o: At, event: Source) => Normalized>([
  ['payment_intent.succeeded', (o) => changes({ kind: 'order', order: paymentIntent(o) })],
  ['charge.succeeded', (o) => changes({ kind: 'order', order: charge(o) })],
  ['charge.refunded', chargeRefunded],
  ['refund.created', refundCreated],
  ['customer.created', customerCreated],
  ['checkout.session.completed', checkoutSession],
]);

/** Stripe: payment intents, charges, refunds, customers and checkout sessions. */
export const normalizeStripe: Normalizer = (topic, body) => {
  const handler = HANDLERS.get(topic);
  return handler ? handler(obj(body, 'data.object'), body) : unknownTopic(topic);
};
