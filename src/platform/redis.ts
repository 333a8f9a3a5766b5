import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from './log.ts';

/** The outcome of one rate-limit check, with what the IETF RateLimit headers need. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/** Whole seconds until the window resets, at least 1: what `Retry-After` and the RateLimit header say. */
export function resetSeconds(d: RateDecision): number {
  return Math.max(1, Math.ceil(d.resetMs / 1000));
}

/** A fixed-window limiter: `points` per `durationSeconds` per key. */
export interface RateLimiter {
  readonly points: number;
  readonly durationSeconds: number;
  consume(key: string, cost?: number): Promise<RateDecision>;
  reset(key: string): Promise<void>;
}

/** A byte cache with TTL. */
export interface Cache {
  get(key: string): Promise<string | null>;
  /** Several keys in one round trip (Redis MGET), in the order asked. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Sets only when absent (Redis SET NX); true when this call set it. */
  add(key: string, value: string, ttlSeconds: number): Promise<boolean>;
}

/** Shared stores: Redis when configured, else process memory (one instance only). */
export interface Stores {
  readonly shared: boolean;
  limiter(name: string, points: number, durationSeconds: number): RateLimiter;
  cache: Cache;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function wrapLimiter(impl: RateLimiterAbstract, points: number, durationSeconds: number): RateLimiter {
  const decision = (res: RateLimiterRes, allowed: boolean): RateDecision => ({
    allowed,
    limit: points,
    remaining: Math.max(0, res.remainingPoints),
    resetMs: Math.max(0, res.msBeforeNext),
  });
  return {
    points,
    durationSeconds,
    async consume(key, cost = 1) {
      try {
        return decision(await impl.consume(key, cost), true);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return decision(rejection, false);
        throw rejection;
      }
    },
    async reset(key) {
      await impl.delete(key);
    },
  };
}

/** One limiter per name, points and duration, made on first use and handed back after. */
function limiterCache(make: (name: string, points: number, durationSeconds: number) => RateLimiterAbstract): Stores['limiter'] {
  const limiters = new Map<string, RateLimiter>();
  return (name, points, durationSeconds) => {
    const id = `${name}\0${points}\0${durationSeconds}`;
    let l = limiters.get(id);
    if (!l) {
      l = wrapLimiter(make(name, points, durationSeconds), points, durationSeconds);
      limiters.set(id, l);
    }
    return l;
  };
}

class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  get(key: string): Promise<string | null> {
    const e = this.entries.get(key);
    if (!e || e.expires <= Date.now()) {
      this.entries.delete(key);
      return Promise.resolve(null);
    }
    return Promise.resolve(e.value);
  }
  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return Promise.all(keys.map((k) => this.get(k)));
  }
  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    // Bounded so a long-running single instance cannot grow without limit.
    if (this.entries.size > 50_000) this.entries.clear();
    this.entries.set(key, { value, expires: Date.now() + ttlSeconds * 1000 });
    return Promise.resolve();
  }
  del(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }
  async add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if ((await this.get(key)) !== null) return false;
    await this.set(key, value, ttlSeconds);
    return true;
  }
}

/** Builds the stores; without a Redis URL, warns that limits and caches hold for this instance only. */
export function createStores(redisUrl: string | null, log: Logger, keyPrefix = 'tideline:'): Stores {
  if (!redisUrl) {
    log.warn('REDIS_URL is not set: rate limits, caches and token revocation are held in this process and hold for one instance only');
    // A memory limiter keeps its counts in its own instance: callers that ask for a limiter per
    // request (login) must get the same one back each time, or nothing is ever counted twice.
    return {
      shared: false,
      limiter: limiterCache((name, points, duration) => new RateLimiterMemory({ keyPrefix: `${keyPrefix}${name}`, points, duration })),
      cache: new MemoryCache(),
      ping: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
  return {
    shared: true,
    // Built once per name and limit: a Redis limiter defines its Lua script (and hashes it) when constructed.
    limiter: limiterCache((name, points, duration) => new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}${name}`, points, duration })),
    cache: {
      get: (key) => redis.get(keyPrefix + key),
      getMany: (keys) => (keys.length === 0 ? Promise.resolve([]) : redis.mget(keys.map((k) => keyPrefix + k))),
      set: async (key, value, ttlSeconds) => {
        await redis.set(keyPrefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
      },
      del: async (key) => {
        await redis.del(keyPrefix + key);
      },
      add: async (key, value, ttlSeconds) => (await redis.set(keyPrefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')) === 'OK',
    },
    ping: async () => {
      await redis.ping();
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
