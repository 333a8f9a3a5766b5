/**
 * PayPal webhooks (v1 event envelope around v2 Orders and Payments resources). Amounts are
 * { currency_code, value } with value a decimal string in major units.
 */
import type { CanonicalOrder, CanonicalOrderLine, CanonicalRefund, OrderStatus } from '../../commerce/index.ts';
import { minorToMajor, mulMajor, sumMajor } from './money.ts';
import { amount, currency, fullName, has, id, int, isoTime, list, obj, optAmount, optIsoTime, optList, optObj, optStr, type At } from './read.ts';
import { NormalizeError, changes, unknownTopic, type Normalized, type Normalizer } from './types.ts';

const ORDER_STATUS = new Map<string, OrderStatus>([
  ['COMPLETED', 'paid'],
  ['VOIDED', 'cancelled'],
]);
const UNSETTLED_REFUND = new Set(['CANCELLED', 'FAILED']);

const updatedAt = (r: At): string => optIsoTime(r, 'update_time') ?? isoTime(r, 'create_time');

function lineOf(item: At, code: string): CanonicalOrderLine {
  const quantity = int(item, 'quantity');
  const unitPrice = amount(item, 'unit_amount.value', code);
  return {
    externalId: null,
    productExternalId: null,
    sku: optStr(item, 'sku'),
    title: optStr(item, 'name'),
    quantity,
    unitPrice,
    total: mulMajor(unitPrice, quantity, code, `${item.path}.unit_amount.value`),
  };
}

function approvedOrder(r: At): CanonicalOrder {
  const units = list(r, 'purchase_units');
  const [unit] = units;
  // Several purchase units (a marketplace cart) would need several orders; refuse rather than drop money.
  if (unit === undefined || units.length > 1) throw new NormalizeError(`${r.path}.purchase_units`, 'expected exactly one purchase unit');
  const code = currency(unit, 'amount.currency_code');
  const total = amount(unit, 'amount.value', code);
  const zero = minorToMajor(0, code);
  const part = (name: string): string => optAmount(unit, `amount.breakdown.${name}.value`, code) ?? zero;
  const payer = optObj(r, 'payer');
  return {
    externalId: id(r, 'id'),
    orderNumber: null,
    paymentRef: optStr(unit, 'payments.captures.0.id'),
    storeExternalId: null,
    channel: 'paypal',
    customer: payer && {
      externalId: id(payer, 'payer_id'),
      email: optStr(payer, 'email_address'),
      name: fullName(optStr(payer, 'name.given_name'), optStr(payer, 'name.surname')),
      createdAt: null,
      updatedAt: updatedAt(r),
    },
    currency: code,
    // APPROVED means the buyer agreed, not that money moved; the capture event says paid.
    status: ORDER_STATUS.get(optStr(r, 'status') ?? '') ?? 'pending',
    subtotal: has(unit, 'amount.breakdown.item_total.value') ? part('item_total') : total,
    discountTotal: sumMajor([part('discount'), part('shipping_discount')], code),
    taxTotal: part('tax_total'),
    shippingTotal: part('shipping'),
    total,
    lines: optList(unit, 'items').map((item) => lineOf(item, code)),
    placedAt: isoTime(r, 'create_time'),
    cancelledAt: null,
    updatedAt: updatedAt(r),
  };
}

function captureCompleted(r: At): Normalized {
  const code = currency(r, 'amount.currency_code');
  const captureId = id(r, 'id');
  return changes({
    kind: 'order-status',
    orderExternalId: optStr(r, 'supplementary_data.related_ids.order_id') ?? captureId,
    paymentRef: captureId,
    status: 'paid',
    amount: amount(r, 'amount.value', code),
    currency: code,
    updatedAt: updatedAt(r),
  });
}

// A refund names its capture only through its HATEOAS "up" link: .../v2/payments/captures/<id>.
function capturedBy(r: At): string | null {
  const up = optList(r, 'links').find((link) => optStr(link, 'rel') === 'up');
  const href = up ? optStr(up, 'href') : null;
  return href === null ? null : (/\/captures\/([^/?#]+)\/?$/.exec(href)?.[1] ?? null);
}

function captureRefunded(r: At): Normalized {
  if (UNSETTLED_REFUND.has(optStr(r, 'status') ?? '')) return { status: 'ignored', reason: 'refund failed or was cancelled' };
  const code = currency(r, 'amount.currency_code');
  const refund: CanonicalRefund = {
    externalId: id(r, 'id'),
    orderExternalId: optStr(r, 'supplementary_data.related_ids.order_id'),
    paymentRef: capturedBy(r),
    amount: amount(r, 'amount.value', code),
    currency: code,
    reason: optStr(r, 'note_to_payer'),
    refundedAt: isoTime(r, 'create_time'),
  };
  return changes({ kind: 'refund', refund });
}

const HANDLERS = new Map<string, (resource: At) => Normalized>([
  ['CHECKOUT.ORDER.APPROVED', (r) => changes({ kind: 'order', order: approvedOrder(r) })],
  ['PAYMENT.CAPTURE.COMPLETED', captureCompleted],
  ['PAYMENT.CAPTURE.REFUNDED', captureRefunded],
]);

/** PayPal: approved orders, completed captures and refunds. */
export const normalizePayPal: Normalizer = (topic, body) => {
  const handler = HANDLERS.get(topic);
  return handler ? handler(obj(body, 'resource')) : unknownTopic(topic);
};
