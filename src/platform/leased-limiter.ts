import type { RateDecision, RateLimiter } from './redis.ts';

/**
 * A shared limiter spent in leases: a process takes `size` points from the shared store at once
 * and hands them out locally until they run out or the window ends, so a flood on one key makes
 * one Redis call per lease instead of one per request. Written here because rate-limiter-flexible
 * has no such mode (its in-memory options only block keys already over the limit).
 *
 * The limit stays a ceiling: leased points count in Redis when taken, so no more than `points` are
 * ever granted per window across all processes. The price is that some are granted late or never:
 * a lease left unspent at the end of a window, or one refused because fewer than `size` points were
 * left, can refuse up to `size - 1` requests per process early. Callers pick `size` small against
 * the limit (a hundredth of it, say) where that is acceptable, and 1 (no leasing) where it is not.
 */
export function leasedLimiter(inner: RateLimiter, size: number, now: () => number = Date.now): RateLimiter {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('a lease holds a positive whole number of points');
  if (size === 1) return inner;
  const leases = new Map<string, { left: number; until: number; remaining: number }>();
  // One lease request per key at a time: concurrent requests wait for it instead of each taking one.
  const taking = new Map<string, Promise<RateDecision>>();

  const fromLease = (key: string): RateDecision | null => {
    const l = leases.get(key);
    if (!l) return null;
    if (l.left <= 0 || now() >= l.until) {
      leases.delete(key);
      return null;
    }
    l.left--;
    return { allowed: true, limit: inner.points, remaining: l.remaining + l.left, resetMs: l.until - now() };
  };

  const take = async (key: string): Promise<RateDecision> => {
    const d = await inner.consume(key, size);
    // The window's end as the store reported it: a lease lives exactly as long as its window. (A
    // rounded-down end once killed a lease taken in a window's last second at once, and each next
    // request took another, spending the window's whole budget in leases nobody used.)
    if (d.allowed) leases.set(key, { left: size - 1, until: now() + d.resetMs, remaining: d.remaining });
    return d;
  };

  return {
    points: inner.points,
    durationSeconds: inner.durationSeconds,
    async consume(key, cost = 1) {
      if (cost !== 1) return inner.consume(key, cost);
      for (;;) {
        const local = fromLease(key);
        if (local) return local;
        const pending = taking.get(key);
        if (pending) {
          const d = await pending;
          if (!d.allowed) return d;
          continue;
        }
        const p = take(key).finally(() => taking.delete(key));
        taking.set(key, p);
        const d = await p;
        // The first point of a granted lease is this request's.
        return d.allowed ? { ...d, remaining: d.remaining + size - 1 } : d;
      }
    },
    async reset(key) {
      leases.delete(key);
      await inner.reset(key);
    },
  };
}
