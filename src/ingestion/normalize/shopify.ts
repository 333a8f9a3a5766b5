/**
 * Shopify webhooks (REST Admin API resource bodies). Amounts are shop-currency decimal strings.
 * The shop domain arrives in a header, not the body, so storeExternalId stays null here.
 */
import type { CanonicalCustomer, CanonicalOrder, CanonicalOrderLine, CanonicalProduct, CanonicalRefund, OrderStatus } from '../../commerce/index.ts';
import { mulMajor, sumMajor } from './money.ts';
import { amount, currency, fullName, has, id, int, isoTime, list, optDecimal, optId, optIsoTime, optList, optObj, optStr, str, type At, type Source } from './read.ts';
import { NormalizeError, changes, unknownTopic, type Normalizer } from './types.ts';

const ORDER_TOPICS = new Set(['orders/create', 'orders/updated', 'orders/paid', 'orders/cancelled']);

// Cancellation and refunds outrank fulfilment, which outranks payment: each is a later stage.
function orderStatus(body: Source): OrderStatus {
  if (has(body, 'cancelled_at')) return 'cancelled';
  const financial = optStr(body, 'financial_status');
  if (financial === 'refunded') return 'refunded';
  if (financial === 'partially_refunded') return 'partially_refunded';
  // A voided authorization means no money will ever move.
  if (financial === 'voided') return 'cancelled';
  if (optStr(body, 'fulfillment_status') === 'fulfilled') return 'fulfilled';
  return financial === 'paid' ? 'paid' : 'pending';
}

// An order's embedded customer may omit email and timestamps; the order's own fill the gaps.
function customerOf(src: Source, fallback: { email: string | null; updatedAt: string | null }): CanonicalCustomer {
  const updatedAt = optIsoTime(src, 'updated_at') ?? fallback.updatedAt;
  return {
    externalId: id(src, 'id'),
    email: optStr(src, 'email') ?? fallback.email,
    name: fullName(optStr(src, 'first_name'), optStr(src, 'last_name')),
    createdAt: optIsoTime(src, 'created_at'),
    updatedAt: updatedAt ?? isoTime(src, 'updated_at'),
  };
}

function lineOf(src: At, code: string): CanonicalOrderLine {
  const quantity = int(src, 'quantity');
  const unitPrice = amount(src, 'price', code);
  return {
    externalId: id(src, 'id'),
    productExternalId: optId(src, 'product_id'),
    sku: optStr(src, 'sku'),
    title: optStr(src, 'title'),
    quantity,
    unitPrice,
    total: mulMajor(unitPrice, quantity, code, `${src.path}.price`),
  };
}

function orderOf(body: Source): CanonicalOrder {
  const code = currency(body, 'currency');
  const updatedAt = isoTime(body, 'updated_at');
  const customer = optObj(body, 'customer');
  // total_shipping_price_set is newer; older payloads only itemize shipping_lines.
  const shippingTotal = has(body, 'total_shipping_price_set.shop_money.amount')
    ? amount(body, 'total_shipping_price_set.shop_money.amount', code)
    : sumMajor(optList(body, 'shipping_lines').map((s) => amount(s, 'price', code)), code);
  return {
    externalId: id(body, 'id'),
    orderNumber: optId(body, 'order_number') ?? optStr(body, 'name'),
    paymentRef: null,
    storeExternalId: null,
    channel: optStr(body, 'source_name'),
    customer: customer && customerOf(customer, { email: optStr(body, 'email'), updatedAt }),
    currency: code,
    status: orderStatus(body),
    subtotal: amount(body, 'subtotal_price', code),
    discountTotal: amount(body, 'total_discounts', code),
    taxTotal: amount(body, 'total_tax', code),
    shippingTotal,
    total: amount(body, 'total_price', code),
    lines: list(body, 'line_items').map((li) => lineOf(li, code)),
    placedAt: has(body, 'created_at') ? isoTime(body, 'created_at') : isoTime(body, 'processed_at'),
    cancelledAt: optIsoTime(body, 'cancelled_at'),
    updatedAt,
  };
}

// The money returned is what the successful refund transactions moved; without any, the refunded lines' value.
function refundOf(body: Source): CanonicalRefund | null {
  const moved = optList(body, 'transactions').filter((t) => optStr(t, 'kind') === 'refund' && optStr(t, 'status') === 'success');
  const lines = optList(body, 'refund_line_items');
  const priced = moved.length > 0 ? moved.map((t) => ({ at: t, code: currency(t, 'currency'), field: 'amount' }))
    : lines.map((l) => ({ at: l, code: currency(l, 'subtotal_set.shop_money.currency_code'), field: 'subtotal' }));
  const code = priced[0]?.code;
  if (code === undefined) return null;
  const other = priced.find((p) => p.code !== code);
  if (other) throw new NormalizeError(other.at.path, `currency ${other.code} differs from ${code} in the same refund`);
  return {
    externalId: id(body, 'id'),
    orderExternalId: id(body, 'order_id'),
    paymentRef: null,
    amount: sumMajor(priced.map((p) => amount(p.at, p.field, code)), code),
    currency: code,
    reason: optStr(body, 'note'),
    refundedAt: isoTime(body, 'created_at'),
  };
}

function productOf(body: Source): CanonicalProduct {
  // Canonical products carry one sku and price; Shopify's first variant is the default one.
  const variant = optList(body, 'variants')[0] ?? null;
  return {
    externalId: id(body, 'id'),
    title: str(body, 'title'),
    sku: variant && optStr(variant, 'sku'),
    price: variant && optDecimal(variant, 'price'),
    currency: null,
    status: optStr(body, 'status'),
    updatedAt: isoTime(body, 'updated_at'),
  };
}

/** Shopify: orders, refunds, customers and products. */
export const normalizeShopify: Normalizer = (topic, body) => {
  if (ORDER_TOPICS.has(topic)) return changes({ kind: 'order', order: orderOf(body) });
  if (topic === 'refunds/create') {
    const refund = refundOf(body);
    return refund ? changes({ kind: 'refund', refund }) : { status: 'ignored', reason: 'refund moved no money' };
  }
  if (topic === 'customers/create' || topic === 'customers/update') {
    return changes({ kind: 'customer', customer: customerOf(body, { email: null, updatedAt: null }) });
  }
  if (topic === 'products/create' || topic === 'products/update') return changes({ kind: 'product', product: productOf(body) });
  return unknownTopic(topic);
};
