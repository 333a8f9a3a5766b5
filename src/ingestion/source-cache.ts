/**
 * Webhook sources kept in memory for a few seconds: a provider flood would otherwise look up the
 * same source on every delivery. A change made through this process forgets the entry at once;
 * one made through another process is seen within the time to live. A signature that fails
 * against an entry at least a second old is checked once more against a fresh read, so a new
 * secret works within a second (service-webhooks.ts).
 */

/** A bounded map of entries that expire `ttlSeconds` after they were loaded; `ageMs` is 0 for a fresh read. */
export interface SourceCache<T> {
  /** The cached value, or what `load` returns (cached unless undefined). */
  get(id: string, load: () => Promise<T | undefined>): Promise<{ value: T | undefined; ageMs: number }>;
  /** Drops one entry (after a change to the source). */
  forget(id: string): void;
}

// Enough for every active source of a large installation; the oldest entry goes first.
const MAX_ENTRIES = 10_000;

/** A cache whose entries live `ttlSeconds`; 0 turns it off (every call loads). */
export function createSourceCache<T>(ttlSeconds: number, now: () => number = Date.now): SourceCache<T> {
  const entries = new Map<string, { value: T; loaded: number }>();
  return {
    async get(id, load) {
      const hit = entries.get(id);
      if (hit && now() - hit.loaded < ttlSeconds * 1000) return { value: hit.value, ageMs: now() - hit.loaded };
      entries.delete(id);
      const value = await load();
      if (value !== undefined && ttlSeconds > 0) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        entries.set(id, { value, loaded: now() });
      }
      return { value, ageMs: 0 };
    },
    forget(id) {
      entries.delete(id);
    },
  };
}
