/**
 * The custom provider: senders post the canonical model itself (camelCase, as in commerce/model.ts).
 * Nothing is guessed: every key must be present (null where allowed), no other key may appear, and
 * the first bad field is named, so an integrator's typo fails loudly instead of dropping data.
 */
import type { CanonicalCustomer, CanonicalOrder, CanonicalOrderLine, CanonicalProduct, CanonicalRefund, OrderStatus } from '../../commerce/index.ts';
import { plainDecimal, toMajor } from './money.ts';
import { at, currency, id, isoTime, list, obj, type At, type Source } from './read.ts';
import { NormalizeError, changes, unknownTopic, type Normalized, type Normalizer } from './types.ts';

const STATUSES: ReadonlySet<string> = new Set<OrderStatus>(['pending', 'paid', 'fulfilled', 'cancelled', 'refunded', 'partially_refunded', 'deleted']);
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/;

// Rejects keys the model does not have; runs after the known fields, so those are named first.
function onlyKeys(src: At, keys: readonly string[]): void {
  const extra = Object.keys(src.value as object).find((k) => !keys.includes(k));
  if (extra !== undefined) throw new NormalizeError(src.path ? `${src.path}.${extra}` : extra, 'is not a field of the model');
}

// A key that must be present; null only where the model allows it.
function nullable<T>(src: Source, path: string, read: (src: Source, path: string) => T): T | null {
  const found = at(src, path);
  if (found.value === undefined) throw new NormalizeError(found.path, 'is required (null when unknown)');
  return found.value === null ? null : read(src, path);
}

function text(src: Source, path: string): string {
  const found = at(src, path);
  if (typeof found.value !== 'string' || found.value.trim() === '') throw new NormalizeError(found.path, 'expected a non-empty string');
  return found.value;
}

// Money is a decimal string, never a JSON number: a float has already lost the cents.
function money(src: Source, path: string, code: string | null): string {
  const found = at(src, path);
  if (typeof found.value !== 'string') throw new NormalizeError(found.path, 'expected a decimal string');
  return code === null ? plainDecimal(found.value, found.path) : toMajor(found.value, code, found.path);
}

// Times must say their zone: a zone-less time from an unknown sender is ambiguous.
function time(src: Source, path: string): string {
  const found = at(src, path);
  if (typeof found.value !== 'string' || !ZONED.test(found.value)) throw new NormalizeError(found.path, 'expected an ISO 8601 time with a zone');
  return isoTime(src, path);
}

function quantity(src: Source, path: string): number {
  const found = at(src, path);
  if (typeof found.value !== 'number' || !Number.isSafeInteger(found.value) || found.value < 0) throw new NormalizeError(found.path, 'expected a non-negative integer');
  return found.value;
}

function status(src: Source, path: string): OrderStatus {
  const found = at(src, path);
  const value = found.value;
  if (typeof value !== 'string' || !STATUSES.has(value)) throw new NormalizeError(found.path, `expected one of ${[...STATUSES].join(', ')}`);
  return value as OrderStatus;
}

function customerOf(src: At): CanonicalCustomer {
  const customer: CanonicalCustomer = {
    externalId: id(src, 'externalId'),
    email: nullable(src, 'email', text),
    name: nullable(src, 'name', text),
    createdAt: nullable(src, 'createdAt', time),
    updatedAt: time(src, 'updatedAt'),
  };
  onlyKeys(src, Object.keys(customer));
  return customer;
}

function lineOf(src: At, code: string): CanonicalOrderLine {
  const line: CanonicalOrderLine = {
    externalId: nullable(src, 'externalId', id),
    productExternalId: nullable(src, 'productExternalId', id),
    sku: nullable(src, 'sku', text),
    title: nullable(src, 'title', text),
    quantity: quantity(src, 'quantity'),
    unitPrice: money(src, 'unitPrice', code),
    total: money(src, 'total', code),
  };
  onlyKeys(src, Object.keys(line));
  return line;
}

function orderOf(src: At): CanonicalOrder {
  const code = currency(src, 'currency');
  const order: CanonicalOrder = {
    externalId: id(src, 'externalId'),
    orderNumber: nullable(src, 'orderNumber', text),
    paymentRef: nullable(src, 'paymentRef', text),
    storeExternalId: nullable(src, 'storeExternalId', text),
    channel: nullable(src, 'channel', text),
    customer: nullable(src, 'customer', (s, p) => customerOf(obj(s, p))),
    currency: code,
    status: status(src, 'status'),
    subtotal: money(src, 'subtotal', code),
    discountTotal: money(src, 'discountTotal', code),
    taxTotal: money(src, 'taxTotal', code),
    shippingTotal: money(src, 'shippingTotal', code),
    total: money(src, 'total', code),
    lines: list(src, 'lines').map((line) => lineOf(obj(line, ''), code)),
    placedAt: time(src, 'placedAt'),
    cancelledAt: nullable(src, 'cancelledAt', time),
    updatedAt: time(src, 'updatedAt'),
  };
  onlyKeys(src, Object.keys(order));
  return order;
}

function refundOf(src: At): CanonicalRefund {
  const code = currency(src, 'currency');
  const refund: CanonicalRefund = {
    externalId: id(src, 'externalId'),
    orderExternalId: nullable(src, 'orderExternalId', id),
    paymentRef: nullable(src, 'paymentRef', text),
    amount: money(src, 'amount', code),
    currency: code,
    reason: nullable(src, 'reason', text),
    refundedAt: time(src, 'refundedAt'),
  };
  onlyKeys(src, Object.keys(refund));
  return refund;
}

function productOf(src: At): CanonicalProduct {
  const code = nullable(src, 'currency', currency);
  const product: CanonicalProduct = {
    externalId: id(src, 'externalId'),
    title: text(src, 'title'),
    sku: nullable(src, 'sku', text),
    price: nullable(src, 'price', (s, p) => money(s, p, code)),
    currency: code,
    status: nullable(src, 'status', text),
    updatedAt: time(src, 'updatedAt'),
  };
  onlyKeys(src, Object.keys(product));
  return product;
}

const HANDLERS = new Map<string, (body: At) => Normalized>([
  ['order.upsert', (b) => changes({ kind: 'order', order: orderOf(b) })],
  ['refund.upsert', (b) => changes({ kind: 'refund', refund: refundOf(b) })],
  ['customer.upsert', (b) => changes({ kind: 'customer', customer: customerOf(b) })],
  ['product.upsert', (b) => changes({ kind: 'product', product: productOf(b) })],
]);

/** Custom sources: canonical orders, refunds, customers and products, validated strictly. */
export const normalizeCustom: Normalizer = (topic, body) => {
  const handler = HANDLERS.get(topic);
  return handler ? handler(obj(body, '')) : unknownTopic(topic);
};
