/**
 * Each store's customers: a pool that grows as new shoppers arrive, from which regulars return.
 * A customer's name and email depend only on the seed, store and number, never on when they
 * were drawn, so ids and names stay stable however the days are batched.
 */
import type { CanonicalCustomer } from '../../../src/commerce/index.ts';
import { hashString, mixSeed, Rng } from './prng.ts';
import type { DemoStore } from './stores.ts';

const FIRST = ['Anna', 'Ben', 'Chloe', 'David', 'Elif', 'Felix', 'Grace', 'Hana', 'Ivan', 'Julia', 'Kenji', 'Lena', 'Marco', 'Nina', 'Oliver', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tomas', 'Uma', 'Victor', 'Wen', 'Yuki', 'Zoe', 'Amir', 'Sofia', 'Lukas', 'Emma', 'Noah'];
const LAST = ['Müller', 'Smith', 'Tanaka', 'Garcia', 'Schmidt', 'Brown', 'Sato', 'Rossi', 'Johnson', 'Weber', 'Kim', 'Nguyen', 'Fischer', 'Taylor', 'Suzuki', 'Novak', 'Meyer', 'Wilson', 'Ito', 'Silva', 'Becker', 'Davies', 'Kowalski', 'Hoffmann', 'Martin', 'Yamamoto', 'Lopez', 'Evans', 'Wagner', 'Chen'];

/** A store's customers so far: the time each was first seen, by number. */
export interface CustomerPool {
  createdAt: string[];
}

/** An empty pool. */
export const emptyPool = (): CustomerPool => ({ createdAt: [] });

// An email local part: ASCII letters only (Müller → muller).
const ascii = (s: string): string => s.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();

/** The customer with this number at a store: stable external id, name and an @example.com address. */
export function customerOf(seed: number, store: DemoStore, n: number, createdAt: string, updatedAt: string): CanonicalCustomer {
  const r = new Rng(mixSeed(seed, hashString(store.externalId), n, 0xc5));
  const first = r.pick(FIRST);
  const last = r.pick(LAST);
  return {
    externalId: `${store.externalId}-c${String(n).padStart(6, '0')}`,
    email: `${ascii(first)}.${ascii(last)}.${store.number}-${n}@example.com`,
    name: `${first} ${last}`,
    createdAt,
    updatedAt,
  };
}

/**
 * The customer of the next order, or null for a guest (a till sale without a loyalty card). Seven
 * in ten known shoppers are regulars, drawn with a lean towards the longest-standing ones.
 */
export function drawCustomer(r: Rng, seed: number, store: DemoStore, pool: CustomerPool, channel: string, placedAt: string, updatedAt: string): CanonicalCustomer | null {
  if (channel === 'pos' && r.chance(0.35)) return null;
  const size = pool.createdAt.length;
  let n: number;
  if (size > 0 && r.chance(0.7)) {
    n = Math.floor(size * r.next() ** 2);
  } else {
    n = size;
    pool.createdAt.push(placedAt);
  }
  return customerOf(seed, store, n, pool.createdAt[n] ?? placedAt, updatedAt);
}
