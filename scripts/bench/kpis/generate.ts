/**
 * The benchmark's data, deterministic for a seed: stores (each with a time zone and a currency)
 * and orders in the orders-import CSV layout, sorted by `placed_at` over two years so the previous
 * period of a one-year KPI query has data too.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** The two years the orders are spread over: [2024-01-01, 2026-01-01) UTC. */
export const DATA_FROM = Date.UTC(2024, 0, 1);
export const DATA_TO = Date.UTC(2026, 0, 1);
/** The measured year (the KPIs' previous period is the 365 days before it). */
export const YEAR_FROM = '2025-01-01';
export const YEAR_TO = '2026-01-01';

/** The columns written, in order: what the orders CSV import reads (rows-orders.ts). */
export const CSV_COLUMNS = ['external_id', 'store_external_id', 'currency', 'status', 'total', 'placed_at', 'customer_external_id', 'units'] as const;

const ZONES = ['UTC', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney', 'America/Sao_Paulo', 'Pacific/Auckland'];
const CURRENCIES: readonly [string, number][] = [['EUR', 0.4], ['USD', 0.3], ['GBP', 0.15], ['JPY', 0.1], ['CHF', 0.05]];
const STATUSES: readonly [string, number][] = [['paid', 0.45], ['fulfilled', 0.4], ['pending', 0.04], ['cancelled', 0.05], ['refunded', 0.03], ['partially_refunded', 0.03]];
const GUEST_SHARE = 0.05;
// Rows joined into one write: large writes keep the generator from being the slow part.
const ROWS_PER_WRITE = 20_000;

/** mulberry32: a small seeded PRNG, uniform in [0, 1); Math.random cannot be seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(r: number, weighted: readonly [string, number][]): string {
  let acc = 0;
  for (const [v, w] of weighted) {
    acc += w;
    if (r < acc) return v;
  }
  return (weighted[weighted.length - 1] as [string, number])[0];
}

/** One generated store. */
export interface StoreSpec {
  externalId: string;
  timezone: string;
  currency: string;
}

/** The stores, each with a time zone (ten zones, half-hour and southern-hemisphere ones included) and one currency. */
export function makeStores(count: number, seed: number): StoreSpec[] {
  const rnd = prng(seed ^ 0x5eed);
  return Array.from({ length: count }, (_, i) => ({
    externalId: `s${String(i + 1).padStart(4, '0')}`,
    timezone: ZONES[i % ZONES.length] as string,
    currency: pick(rnd(), CURRENCIES),
  }));
}

function amount(r: number, currency: string): string {
  if (currency === 'JPY') return String(500 + Math.floor(r * 30_000));
  const cents = 500 + Math.floor(r * 29_500);
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** What was written. */
export interface GeneratedFiles {
  /** The first `importRows` orders: imported through the API and COPY'd by the baseline. */
  head: { path: string; rows: number; bytes: number };
  /** The other orders (empty when all are imported), loaded directly. */
  rest: { path: string; rows: number; bytes: number } | null;
  ms: number;
}

async function write(out: ReturnType<typeof createWriteStream>, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function close(out: ReturnType<typeof createWriteStream>): Promise<number> {
  out.end();
  await once(out, 'finish');
  return out.bytesWritten;
}

/**
 * Writes `orders` orders, chronologically sorted (order i is placed in the i-th slice of the two
 * years), into `headPath` (the first `importRows`) and `restPath` (the others), with headers.
 */
export async function writeOrders(o: { orders: number; importRows: number; customers: number; stores: StoreSpec[]; seed: number; headPath: string; restPath: string }): Promise<GeneratedFiles> {
  const started = performance.now();
  const rnd = prng(o.seed);
  const header = `${CSV_COLUMNS.join(',')}\n`;
  const step = (DATA_TO - DATA_FROM) / o.orders;
  let out = createWriteStream(o.headPath);
  await write(out, header);
  let headBytes = 0;
  let lines: string[] = [];
  for (let i = 0; i < o.orders; i++) {
    if (i === o.importRows) {
      await write(out, lines.join(''));
      lines = [];
      headBytes = await close(out);
      out = createWriteStream(o.restPath);
      await write(out, header);
    }
    const store = o.stores[Math.floor(rnd() * o.stores.length)] as StoreSpec;
    const placed = new Date(DATA_FROM + Math.floor((i + rnd()) * step)).toISOString();
    const customer = rnd() < GUEST_SHARE ? '' : `c${Math.floor(rnd() * o.customers)}`;
    const units = 1 + Math.floor(rnd() * 4);
    lines.push(`o${i},${store.externalId},${store.currency},${pick(rnd(), STATUSES)},${amount(rnd(), store.currency)},${placed},${customer},${units}\n`);
    if (lines.length === ROWS_PER_WRITE) {
      await write(out, lines.join(''));
      lines = [];
    }
  }
  await write(out, lines.join(''));
  const lastBytes = await close(out);
  const split = o.importRows < o.orders;
  return {
    head: { path: o.headPath, rows: o.importRows, bytes: split ? headBytes : lastBytes },
    rest: split ? { path: o.restPath, rows: o.orders - o.importRows, bytes: lastBytes } : null,
    ms: performance.now() - started,
  };
}
