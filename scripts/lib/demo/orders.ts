/**
 * One store-day of orders, refunds and the store's reported daily row. Every draw comes from a
 * stream seeded by (seed, store, day), so a day's orders never depend on how many came before;
 * only the customer pool carries over from day to day, and it is walked in day order.
 */
import type { CanonicalOrder, CanonicalOrderLine, CanonicalRefund, OrderStatus } from '../../../src/commerce/index.ts';
import { CURRENCIES, assortmentProducts, formatMoney, priceIn, productExternalId, type Currency, type Product } from './catalogue.ts';
import { drawCustomer, type CustomerPool } from './customers.ts';
import type { DayPlan } from './demand.ts';
import { hashString, mixSeed, Rng } from './prng.ts';
import type { DemoStore, StoreType } from './stores.ts';
import { isoDay, localToUtc, weekday } from './time.ts';

/** A store's reported figures for one day, in the Rossmann layout of `store_daily_sales`. */
export interface DailyRow {
  storeExternalId: string;
  day: string;
  dayOfWeek: number;
  sales: string;
  customers: number;
  open: boolean;
  promo: boolean;
  stateHoliday: '0' | 'a';
  schoolHoliday: boolean;
}

/** What one store-day produced. */
export interface StoreDay {
  orders: CanonicalOrder[];
  refunds: CanonicalRefund[];
  daily: DailyRow;
}

/** Statuses that count as sales (the rollups' COUNTED_STATUSES, at the moment of placing). */
export const SOLD: ReadonlySet<OrderStatus> = new Set(['paid', 'fulfilled']);

const CHANNELS: Record<StoreType, readonly (readonly [string, number])[]> = {
  a: [['pos', 0.6], ['web', 0.22], ['mobile', 0.14], ['marketplace', 0.04]],
  b: [['pos', 0.7], ['web', 0.15], ['mobile', 0.12], ['marketplace', 0.03]],
  c: [['pos', 0.75], ['web', 0.1], ['mobile', 0.13], ['marketplace', 0.02]],
  d: [['pos', 0.5], ['web', 0.3], ['mobile', 0.15], ['marketplace', 0.05]],
};
const LINE_COUNTS = [[1, 0.45], [2, 0.3], [3, 0.17], [4, 0.08]] as const;
const QUANTITIES = [[1, 0.8], [2, 0.15], [3, 0.05]] as const;
const REASONS = ['damaged in transit', 'wrong item', 'changed mind', 'not as described', 'duplicate charge'];
const HOUR = 3600;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * A local time of day (seconds) with the intraday rhythm: a lunch peak, an after-work peak and a
 * thin spread over the rest of the day. Till sales keep to opening hours (8:00–21:00).
 */
function timeOfDay(r: Rng, channel: string): number {
  const u = r.next();
  const hours = u < 0.42 ? 12.5 + 1.3 * r.normal() : u < 0.84 ? 18.5 + 1.5 * r.normal() : 7 + 16 * r.next();
  const s = Math.round(hours * HOUR);
  return channel === 'pos' ? Math.min(Math.max(s, 8 * HOUR), 21 * HOUR - 1) : ((s % (24 * HOUR)) + 24 * HOUR) % (24 * HOUR);
}

const hex = (r: Rng): string => Math.floor(r.next() * 2 ** 32).toString(16).padStart(8, '0');
const iso = (ms: number): string => new Date(ms).toISOString();

function lines(r: Rng, products: readonly Product[], c: Currency, orderId: string): CanonicalOrderLine[] {
  const count = r.weighted(LINE_COUNTS);
  const chosen: Product[] = [];
  // Distinct products per order; a few tries are plenty with ~40 to choose from.
  for (let tries = 0; chosen.length < count && tries < 12; tries++) {
    const p = r.weighted(products.map((x) => [x, x.popularity] as const));
    if (!chosen.includes(p)) chosen.push(p);
  }
  return chosen.map((p, i) => {
    const quantity = r.weighted(QUANTITIES);
    const unit = priceIn(p, c);
    return { externalId: `${orderId}-${i + 1}`, productExternalId: productExternalId(p.sku, c.code), sku: p.sku, title: p.title, quantity, unitPrice: formatMoney(unit, c), total: formatMoney(unit * quantity, c) };
  });
}

function status(r: Rng, channel: string): OrderStatus {
  const u = r.next();
  if (u < 0.015) return 'cancelled';
  if (u < 0.025) return 'pending';
  return channel === 'pos' || r.chance(0.88) ? 'fulfilled' : 'paid';
}

// Minor units of a line total string; lines are formatted by this module, so the format is known.
const minorOf = (amount: string, c: Currency): number => Math.round(Number(amount) * 10 ** c.decimals);

/** Generates one store-day; mutates the store's customer pool (new shoppers join it). */
export function generateStoreDay(seed: number, store: DemoStore, day: number, plan: DayPlan, pool: CustomerPool): StoreDay {
  const r = new Rng(mixSeed(seed, hashString(store.externalId), day));
  const c = CURRENCIES[store.currency];
  const products = assortmentProducts(store.assortment);
  const date = isoDay(day);
  const count = plan.open ? r.poisson(plan.meanOrders) : 0;
  // Times first, sorted, so order numbers follow the clock.
  const drafts = Array.from({ length: count }, () => {
    const channel = r.weighted(CHANNELS[store.storeType]);
    return { channel, second: timeOfDay(r, channel) };
  }).sort((a, b) => a.second - b.second);
  const orders: CanonicalOrder[] = [];
  const refunds: CanonicalRefund[] = [];
  let soldMinor = 0;
  const shoppers = new Set<string>();
  drafts.forEach(({ channel, second }, i) => {
    const seq = String(i + 1).padStart(4, '0');
    const externalId = `${store.externalId}-${date.replaceAll('-', '')}-${seq}`;
    const placedMs = localToUtc(day, second, store.timezone);
    const st = status(r, channel);
    const cancelledMs = st === 'cancelled' ? placedMs + r.int(5, 180) * MINUTE_MS : null;
    const updatedMs = cancelledMs ?? placedMs + r.int(1, 30) * MINUTE_MS;
    const customer = drawCustomer(r, seed, store, pool, channel, iso(placedMs), iso(updatedMs));
    const ls = lines(r, products, c, externalId);
    const subtotal = ls.reduce((s, l) => s + minorOf(l.total, c), 0);
    const discount = plan.promo && r.chance(0.35) ? Math.floor(subtotal * 0.1) : 0;
    const net = subtotal - discount;
    const shipping = (channel === 'web' || channel === 'mobile') && net < c.freeShippingFrom ? c.shipping : 0;
    // Included VAT is the share already in the price; US sales tax is added on top.
    const tax = c.taxIncluded ? Math.round((net * c.taxRate) / (1 + c.taxRate)) : Math.round(net * c.taxRate);
    const total = net + shipping + (c.taxIncluded ? 0 : tax);
    orders.push({
      externalId, orderNumber: `D${String(store.number).padStart(3, '0')}-${date.replaceAll('-', '').slice(2)}-${seq}`,
      paymentRef: st === 'pending' || st === 'cancelled' ? null : `pay_${hex(r)}${hex(r)}`,
      storeExternalId: store.externalId, channel, customer, currency: c.code, status: st,
      subtotal: formatMoney(subtotal, c), discountTotal: formatMoney(discount, c), taxTotal: formatMoney(tax, c), shippingTotal: formatMoney(shipping, c), total: formatMoney(total, c),
      lines: ls, placedAt: iso(placedMs), cancelledAt: cancelledMs === null ? null : iso(cancelledMs), updatedAt: iso(updatedMs),
    });
    if (!SOLD.has(st)) return;
    soldMinor += total;
    shoppers.add(customer?.externalId ?? externalId);
    if (r.chance(0.03)) refunds.push(refundOf(r, externalId, total, ls, c, placedMs));
  });
  return {
    orders, refunds,
    daily: {
      storeExternalId: store.externalId, day: date, dayOfWeek: weekday(day), sales: formatMoney(soldMinor, c), customers: shoppers.size,
      open: orders.length > 0, promo: plan.promo, stateHoliday: plan.holiday ? 'a' : '0', schoolHoliday: plan.schoolHoliday,
    },
  };
}

/** A refund 1–14 days after the order: the whole order, or one line (half the order when it has one line). */
function refundOf(r: Rng, orderId: string, total: number, ls: readonly CanonicalOrderLine[], c: Currency, placedMs: number): CanonicalRefund {
  const full = r.chance(0.4);
  const line = r.pick(ls);
  const partial = ls.length > 1 ? minorOf(line.total, c) : Math.floor(total / 2);
  const amount = full ? total : Math.max(1, Math.min(partial, total));
  return {
    externalId: `${orderId}-r1`, orderExternalId: orderId, paymentRef: null, amount: formatMoney(amount, c), currency: c.code,
    reason: r.pick(REASONS), refundedAt: iso(placedMs + r.int(1, 14) * DAY_MS + r.int(0, 600) * MINUTE_MS),
  };
}
