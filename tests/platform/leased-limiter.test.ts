import assert from 'node:assert/strict';
import { leasedLimiter } from '../../src/platform/leased-limiter.ts';
import type { RateDecision, RateLimiter } from '../../src/platform/redis.ts';

/** A fixed-window limiter on a fake clock that counts every call (as Redis would see them), refused points included. */
function fakeShared(points: number, windowMs: number, now: () => number) {
  const used = new Map<string, { n: number; start: number }>();
  let calls = 0;
  const limiter: RateLimiter = {
    points,
    durationSeconds: windowMs / 1000,
    consume(key, cost = 1): Promise<RateDecision> {
      calls++;
      let w = used.get(key);
      if (!w || now() - w.start >= windowMs) {
        w = { n: 0, start: now() };
        used.set(key, w);
      }
      w.n += cost;
      const resetMs = w.start + windowMs - now();
      return Promise.resolve({ allowed: w.n <= points, limit: points, remaining: Math.max(0, points - w.n), resetMs });
    },
    reset(key) {
      used.delete(key);
      return Promise.resolve();
    },
  };
  return { limiter, calls: () => calls };
}

describe('platform: leased limiter', function () {
  let clock = 0;
  const now = () => clock;
  beforeEach(function () {
    clock = 1_000_000;
  });

  it('grants at most the limit per window, asking the shared store once per lease', async function () {
    const shared = fakeShared(100, 60_000, now);
    const l = leasedLimiter(shared.limiter, 10, now);
    const results = [];
    for (let i = 0; i < 150; i++) results.push((await l.consume('src')).allowed);
    assert.equal(results.filter(Boolean).length, 100, 'exactly the limit, as the leases divide it evenly');
    assert.ok(results.slice(100).every((a) => !a), 'then refused');
    assert.ok(shared.calls() <= 60, `one call per lease (got ${shared.calls()})`);
  });

  it('never grants more than the limit across processes sharing the store, even with leases left over', async function () {
    const shared = fakeShared(95, 60_000, now);
    const a = leasedLimiter(shared.limiter, 10, now);
    const b = leasedLimiter(shared.limiter, 10, now);
    let granted = 0;
    for (let i = 0; i < 200; i++) if ((await (i % 2 === 0 ? a : b).consume('src')).allowed) granted++;
    assert.ok(granted <= 95, `granted ${granted}`);
    assert.ok(granted >= 95 - 2 * 9, `at most size - 1 refused early per process (granted ${granted})`);
  });

  it('lets concurrent requests share one lease request, and starts over in the next window', async function () {
    const shared = fakeShared(1000, 60_000, now);
    const l = leasedLimiter(shared.limiter, 10, now);
    const burst = await Promise.all(Array.from({ length: 10 }, () => l.consume('src')));
    assert.ok(burst.every((d) => d.allowed));
    assert.equal(shared.calls(), 1, 'ten concurrent requests, one lease');
    clock += 60_000;
    assert.equal((await l.consume('src')).allowed, true);
    assert.equal(shared.calls(), 2, 'a lease never outlives its window');
  });

  it('keeps a lease taken in a window’s last second until the window ends, not one request', async function () {
    const shared = fakeShared(1000, 60_000, now);
    const l = leasedLimiter(shared.limiter, 10, now);
    await l.consume('src');
    clock += 59_500;
    // The first lease ran out with its window's rounded second; this one is taken 500 ms before the end.
    for (let i = 0; i < 20; i++) assert.equal((await l.consume('src')).allowed, true);
    assert.ok(shared.calls() <= 4, `one lease per ten requests (got ${shared.calls()} calls)`);
  });

  it('passes other costs, and a lease of one, straight through', async function () {
    const shared = fakeShared(5, 60_000, now);
    assert.equal(leasedLimiter(shared.limiter, 1, now), shared.limiter);
    const l = leasedLimiter(shared.limiter, 3, now);
    assert.equal((await l.consume('k', 5)).allowed, true);
    assert.equal((await l.consume('k')).allowed, false);
    assert.throws(() => leasedLimiter(shared.limiter, 0, now), RangeError);
  });
});
