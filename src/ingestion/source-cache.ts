/**
 * Webhook sources kept in memory for a few seconds: a provider flood would otherwise look up the
 * same source on every delivery. A change made through this process forgets the entry at once;
 * one made through another process is seen within the time to live, and a signature that fails
 * against a cached entry is checked once more against a fresh read, so a new secret works at once.
 */

/** A bounded map of entries that expire `ttlMs` after they were loaded. */
export interface SourceCache<T> {
  /** The cached value, or what `load` returns (cached unless undefined). */
  get(id: string, load: () => Promise<T | undefined>): Promise<{ value: T | undefined; cached: boolean }>;
  /** Drops one entry (after a change to the source). */
  forget(id: string): void;
}

// Enough for every active source of a large installation; the oldest entry goes first.
const MAX_ENTRIES = 10_000;

/** A cache whose entries live `ttlSeconds`; 0 turns it off (every call loads). */
export function createSourceCache<T>(ttlSeconds: number, now: () => number = Date.now): SourceCache<T> {
  const entries = new Map<string, { value: T; expires: number }>();
  return {
    async get(id, load) {
      const hit = entries.get(id);
      if (hit && hit.expires > now()) return { value: hit.value, cached: true };
      entries.delete(id);
      const value = await load();
      if (value !== undefined && ttlSeconds > 0) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        entries.set(id, { value, expires: now() + ttlSeconds * 1000 });
      }
      return { value, cached: false };
    },
    forget(id) {
      entries.delete(id);
    },
  };
}
