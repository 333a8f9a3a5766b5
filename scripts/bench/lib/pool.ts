/** A fixed number of concurrent senders sharing one counter: the load shape of fetch-based cases. */

/** When the senders stop taking work: after `count` tasks, or once `stop()` answers true. */
export interface PoolLimit {
  count?: number;
  stop?: () => boolean;
}

/**
 * Runs `workers` loops; each takes the next index (0, 1, 2, ...) and awaits `task(index)` before
 * taking another, so at most `workers` tasks are in flight. A task that throws stops everything.
 */
export async function runPool(workers: number, task: (index: number) => Promise<void>, limit: PoolLimit): Promise<void> {
  let next = 0;
  let failed = false;
  const loop = async () => {
    for (;;) {
      if (failed || limit.stop?.() || (limit.count !== undefined && next >= limit.count)) return;
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

/** Milliseconds since `start` (a performance.now() value). */
export function elapsedMs(start: number): number {
  return performance.now() - start;
}
