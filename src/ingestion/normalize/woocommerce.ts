/**
 * WooCommerce webhooks (REST API v3 resources). Amounts are decimal strings in the store currency;
 * *_gmt times are UTC without a zone designator; 0 and "" mean "none".
 */
import type { CanonicalCustomer, CanonicalOrder, CanonicalOrderLine, CanonicalProduct, OrderStatus } from '../../commerce/index.ts';
import { sumMajor } from './money.ts';
import { amount, currency, fullName, id, int, isoTime, list, optDecimal, optId, optIsoTime, optStr, str, type At, type Source } from './read.ts';
import { changes, unknownTopic, type Normalizer } from './types.ts';

// Statuses not listed (checkout-draft, plugin-defined ones) read as pending: money is not known to have moved.
// A Map, not an object literal, so a status named "constructor" finds nothing.
const STATUS = new Map<string, OrderStatus>([
  ['pending', 'pending'],
  ['on-hold', 'pending'],
  ['processing', 'paid'],
  ['completed', 'fulfilled'],
  ['cancelled', 'cancelled'],
  ['failed', 'cancelled'],
  ['refunded', 'refunded'],
  ['trash', 'deleted'],
]);

/** The updatedAt of a bare delete ({ "id": N }): later than any real update, so the delete always wins. */
export const DELETE_WINS = '9999-12-31T23:59:59.999Z';

// Woo leaves date_modified_gmt null on resources never modified since creation.
const modifiedAt = (src: Source): string => optIsoTime(src, 'date_modified_gmt') ?? isoTime(src, 'date_created_gmt');

// Registered buyers key by customer_id; guests by their billing email (lower-cased, so one guest is one customer).
function buyerOf(body: Source, updatedAt: string): CanonicalCustomer | null {
  const email = optStr(body, 'billing.email');
  const externalId = optId(body, 'customer_id') ?? (email === null ? null : `guest:${email.toLowerCase()}`);
  if (externalId === null) return null;
  const name = fullName(optStr(body, 'billing.first_name'), optStr(body, 'billing.last_name'));
  return { externalId, email, name, createdAt: null, updatedAt };
}

function lineOf(src: At, code: string): CanonicalOrderLine {
  return {
    externalId: id(src, 'id'),
    productExternalId: optId(src, 'product_id'),
    sku: optStr(src, 'sku'),
    title: optStr(src, 'name'),
    quantity: int(src, 'quantity'),
    // `price` is subtotal / quantity as an unrounded float (3.3333333); round it, never the totals.
    unitPrice: amount(src, 'price', code, { round: true }),
    total: amount(src, 'total', code),
  };
}

function orderOf(body: Source): CanonicalOrder {
  const code = currency(body, 'currency');
  const lines = list(body, 'line_items');
  const status = STATUS.get(optStr(body, 'status') ?? '') ?? 'pending';
  const updatedAt = modifiedAt(body);
  return {
    externalId: id(body, 'id'),
    orderNumber: optId(body, 'number'),
    paymentRef: optStr(body, 'transaction_id'),
    storeExternalId: null,
    channel: optStr(body, 'created_via'),
    customer: buyerOf(body, updatedAt),
    currency: code,
    status,
    // Woo has no order subtotal field; its line subtotals are the pre-discount item prices.
    subtotal: sumMajor(lines.map((li) => amount(li, 'subtotal', code)), code),
    discountTotal: amount(body, 'discount_total', code),
    taxTotal: amount(body, 'total_tax', code),
    shippingTotal: amount(body, 'shipping_total', code),
    total: amount(body, 'total', code),
    lines: lines.map((li) => lineOf(li, code)),
    placedAt: isoTime(body, 'date_created_gmt'),
    // Woo records no cancellation time; the last modification is the closest one known.
    cancelledAt: status === 'cancelled' ? updatedAt : null,
    updatedAt,
  };
}

function customerOf(body: Source): CanonicalCustomer {
  return {
    externalId: id(body, 'id'),
    email: optStr(body, 'email'),
    name: fullName(optStr(body, 'first_name'), optStr(body, 'last_name')),
    createdAt: isoTime(body, 'date_created_gmt'),
    updatedAt: modifiedAt(body),
  };
}

function productOf(body: Source): CanonicalProduct {
  return {
    externalId: id(body, 'id'),
    title: str(body, 'name'),
    sku: optStr(body, 'sku'),
    price: optDecimal(body, 'price'),
    currency: null,
    status: optStr(body, 'status'),
    updatedAt: modifiedAt(body),
  };
}

/** WooCommerce: orders (including deletes), customers and products. */
export const normalizeWooCommerce: Normalizer = (topic, body) => {
  switch (topic) {
    case 'order.created':
    case 'order.updated':
      return changes({ kind: 'order', order: orderOf(body) });
    case 'order.deleted':
      // A permanent delete sends only { id }; a trash sends the whole order, whose own time then decides.
      return changes({ kind: 'order-deleted', orderExternalId: id(body, 'id'), updatedAt: optIsoTime(body, 'date_modified_gmt') ?? DELETE_WINS });
    case 'customer.created':
      return changes({ kind: 'customer', customer: customerOf(body) });
    case 'product.created':
    case 'product.updated':
      return changes({ kind: 'product', product: productOf(body) });
    default:
      return unknownTopic(topic);
  }
};
