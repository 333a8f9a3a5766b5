/**
 * Canonical orders from an import row: NDJSON (and the batch events API) in the snake_case shape
 * of the `order` event, or CSV flattened to one row per order with its units as a single line.
 * Amounts are canonical text with at least the currency's decimals ("59.9" EUR is "59.90"); finer
 * decimals, up to the 4 the Money schema allows, are kept exactly rather than rounded away.
 */
import type { CanonicalCustomer, CanonicalOrder, CanonicalOrderLine, OrderStatus } from '../../commerce/index.ts';
import { exponentOf } from '../normalize/money.ts';
import { MONEY, divideUnits, fits, fromUnits, toUnits } from './decimal.ts';
import { attempt } from './errors.ts';
import { Fields } from './fields.ts';
import type { RowResult } from './types.ts';

/** The columns an orders CSV must have; the others (see the module comment) are optional. */
export const ORDER_REQUIRED_COLUMNS = ['external_id', 'currency', 'status', 'total', 'placed_at'] as const;

const STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'fulfilled', 'cancelled', 'refunded', 'partially_refunded'];
const CURRENCY = /^[A-Za-z]{3}$/;
// Loose on purpose: the address is stored encrypted and only ever compared, never mailed.
const EMAIL = /^[^\s@]+@[^\s@]+$/;
// The batch events API's limits, so an import accepts exactly what a batch would.
const MAX_LINES = 500;
const MAX_QUANTITY = 1_000_000;

function currencyOf(f: Fields): string {
  const code = f.text('currency');
  if (!CURRENCY.test(code)) f.fail('currency', 'not a three-letter ISO 4217 code', code);
  return code.toUpperCase();
}

const money = (f: Fields, key: string, exponent: number): string => fromUnits(toUnits(f.decimal(key, MONEY)), exponent);
const optMoney = (f: Fields, key: string, exponent: number): string | null => (f.has(key) ? money(f, key, exponent) : null);

function email(f: Fields, key: string): string | null {
  const v = f.optText(key, 320);
  if (v !== null && !EMAIL.test(v)) f.fail(key, 'not an email address', v);
  return v;
}

// A customer from its id, email and name keys; with `always` false, none of them present means no customer.
function customerOf(f: Fields, keys: readonly [string, string, string], updatedAt: string, always: boolean): CanonicalCustomer | null {
  const [idKey, emailKey, nameKey] = keys;
  if (!always && !keys.some((k) => f.has(k))) return null;
  return { externalId: f.text(idKey), email: email(f, emailKey), name: f.optText(nameKey), createdAt: null, updatedAt };
}

function lineOf(l: Fields, exponent: number): CanonicalOrderLine {
  const quantity = l.int('quantity', 0, MAX_QUANTITY);
  const unitPrice = money(l, 'unit_price', exponent);
  let total = optMoney(l, 'total', exponent);
  if (total === null) {
    const units = toUnits(unitPrice) * BigInt(quantity);
    if (!fits(units)) l.fail('total', 'unit_price × quantity is too large');
    total = fromUnits(units, exponent);
  }
  return {
    externalId: l.optText('external_id'),
    productExternalId: l.optText('product_external_id'),
    sku: l.optText('sku'),
    title: l.optText('title', 500),
    quantity,
    unitPrice,
    total,
  };
}

// CSV's `units` as one line priced total / units (4 decimals, half away from zero); no `units`, no line.
function unitsLine(f: Fields, total: string): CanonicalOrderLine[] {
  const units = f.optInt('units', 0, MAX_QUANTITY);
  if (units === null) return [];
  const unitPrice = units === 0 ? total : fromUnits(divideUnits(toUnits(total), BigInt(units)), 4);
  return [{ externalId: null, productExternalId: null, sku: null, title: null, quantity: units, unitPrice, total }];
}

// What both layouts share; `parts` supplies the customer and lines, which they lay out differently.
function orderOf(f: Fields, parts: (exponent: number, total: string, updatedAt: string) => Pick<CanonicalOrder, 'customer' | 'lines'>): CanonicalOrder {
  const type = f.get('type');
  if (type !== undefined && type !== 'order') f.fail('type', 'must be "order"', type);
  const externalId = f.text('external_id');
  const currency = currencyOf(f);
  const exponent = exponentOf(currency);
  const status = f.oneOf('status', STATUSES);
  const total = money(f, 'total', exponent);
  const placedAt = f.instant('placed_at');
  const updatedAt = f.optInstant('updated_at') ?? placedAt;
  const zero = fromUnits(0n, exponent);
  return {
    externalId,
    orderNumber: f.optText('order_number'),
    paymentRef: null,
    storeExternalId: f.optText('store_external_id'),
    channel: f.optText('channel', 100),
    currency,
    status,
    subtotal: optMoney(f, 'subtotal', exponent) ?? total,
    discountTotal: optMoney(f, 'discount_total', exponent) ?? zero,
    taxTotal: optMoney(f, 'tax_total', exponent) ?? zero,
    shippingTotal: optMoney(f, 'shipping_total', exponent) ?? zero,
    total,
    placedAt,
    cancelledAt: f.optInstant('cancelled_at'),
    updatedAt,
    ...parts(exponent, total, updatedAt),
  };
}

/** An order in the `order` event shape (NDJSON line, batch event): nested `customer` and `lines`. */
export function orderFromJson(f: Fields): CanonicalOrder {
  return orderOf(f, (exponent, _total, updatedAt) => {
    const c = f.object('customer');
    return {
      customer: c ? customerOf(c, ['external_id', 'email', 'name'], updatedAt, true) : null,
      lines: f.list('lines', MAX_LINES).map((l) => lineOf(l, exponent)),
    };
  });
}

/** An order flattened to one CSV row: `customer_*` columns and an optional `units` count. */
export function orderFromCsv(f: Fields): CanonicalOrder {
  return orderOf(f, (_exponent, total, updatedAt) => ({
    customer: customerOf(f, ['customer_external_id', 'customer_email', 'customer_name'], updatedAt, false),
    lines: unitsLine(f, total),
  }));
}

/** Validates one `order` event (as the batch events API receives it) into a canonical order, or says why not. */
export function orderFromRecord(record: Record<string, unknown>): RowResult<CanonicalOrder> {
  return attempt(() => orderFromJson(new Fields(record)));
}
