import { createHash, randomUUID } from 'node:crypto';
import type { Stores } from '../platform/redis.ts';
import type { Touch } from './rollups.ts';

// A cached answer lives minutes; the month versions that key it live a day, so a version that
// expires (no writes for a day) can never bring back an answer cached under its old value.
const ANSWER_TTL_SECONDS = 600;
const VERSION_TTL_SECONDS = 86_400;
// Local days reach 14 hours either side of UTC: a change near a month's edge may show in its neighbour.
const EDGE_MS = 14 * 3600 * 1000;

const month = (ms: number) => new Date(ms).toISOString().slice(0, 7);

function monthsOf(from: number, to: number): string[] {
  const out = new Set<string>();
  const start = new Date(from - EDGE_MS);
  const cur = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1);
  for (let t = cur; t < to + EDGE_MS; t = Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth() + 1, 1)) out.add(month(t));
  return [...out];
}

const versionKey = (tenantId: string, m: string) => `commerce:ver:${tenantId}:${m}`;

/** Marks the months of these touches changed, so answers over them are recomputed; run after commit. */
export async function invalidate(stores: Stores, tenantId: string, touches: readonly Touch[]): Promise<void> {
  const months = new Set<string>();
  for (const t of touches) {
    const at = new Date(t.at).getTime();
    for (const m of [month(at - EDGE_MS), month(at), month(at + EDGE_MS)]) months.add(m);
  }
  await Promise.all([...months].map((m) => stores.cache.set(versionKey(tenantId, m), randomUUID(), VERSION_TTL_SECONDS)));
}

// Every answer of a tenant also reads this version: operator scripts that rewrite rows wholesale
// (a rebuild, a re-seed) bump it instead of working out which months they touched.
const ALL_MONTHS = 'all';

/** Marks every answer of the tenant changed (after a bulk rewrite by an operator script). */
export async function invalidateAll(stores: Stores, tenantId: string): Promise<void> {
  await stores.cache.set(versionKey(tenantId, ALL_MONTHS), randomUUID(), VERSION_TTL_SECONDS);
}

/** An answer and its validator. */
export interface Cached<T> {
  body: T;
  etag: string;
}

/**
 * The answer to a query over `[from, to)` ranges: from the cache when no month it covers changed
 * since it was computed, else computed and stored. The key holds the tenant, the query and the
 * versions of the months it reads.
 */
export async function cached<T>(stores: Stores, tenantId: string, query: unknown, ranges: readonly [number, number][], compute: () => Promise<T>): Promise<Cached<T>> {
  const months = [...new Set(ranges.flatMap(([a, b]) => monthsOf(a, b)))].sort();
  months.push(ALL_MONTHS);
  // One round trip for every version the answer depends on.
  const versions = (await stores.cache.getMany(months.map((m) => versionKey(tenantId, m)))).map((v) => v ?? '0');
  const key = `commerce:answer:${tenantId}:${createHash('sha256').update(JSON.stringify([query, months, versions])).digest('base64url')}`;
  const hit = await stores.cache.get(key);
  if (hit !== null) return JSON.parse(hit) as Cached<T>;
  const body = await compute();
  const text = JSON.stringify(body);
  const value: Cached<T> = { body, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"` };
  await stores.cache.set(key, JSON.stringify(value), ANSWER_TTL_SECONDS);
  return value;
}

/** Whether an `If-None-Match` header names this ETag (or `*`). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag;
  });
}

/** A touch in every month from `from` to `to`, so each month's cached answers are recomputed. */
export function monthTouches(from: Date, to: Date): Touch[] {
  const out: Touch[] = [];
  for (let t = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 15)); t.getTime() <= to.getTime() + 31 * 86_400_000; t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 15))) {
    out.push({ storeId: null, at: t });
  }
  return out;
}
