/**
 * The crash test's load: concurrent signed deliveries with plain fetch, recording the fate of every
 * event id (autocannon cannot say which requests got which answer), until the server is killed.
 */
import { shopifyHeaders } from '../../../tests/helpers/webhook-signing.ts';
import { runPool } from '../lib/pool.ts';
import { deliveryHeaders } from './shopify.ts';

/** Every event id sent, by outcome. */
export interface CrashOutcome {
  sent: number;
  /** Answered 2xx: the server promised these are stored. */
  acked: Set<string>;
  /** The connection failed (reset, refused, timed out): the sender cannot know. */
  failed: Set<string>;
  /** Answered, but not 2xx (none expected). */
  rejected: Map<string, number>;
  /** When the kill was sent, in ms from the start of the load. */
  killedAtMs: number;
}

/** Fires deliveries of `body` at `url` from `concurrency` senders; after `killAfterMs` calls `kill` and stops sending. */
export async function fireUntilKilled(url: string, body: Buffer, secret: string, concurrency: number, killAfterMs: number, kill: () => void): Promise<CrashOutcome> {
  const signed = shopifyHeaders(body, secret, { topic: 'orders/create' });
  const out: CrashOutcome = { sent: 0, acked: new Set(), failed: new Set(), rejected: new Map(), killedAtMs: 0 };
  let stopped = false;
  const started = performance.now();
  const timer = setTimeout(() => {
    // Stop first: no request may start after the kill, or it would only measure "connection refused".
    stopped = true;
    out.killedAtMs = performance.now() - started;
    kill();
  }, killAfterMs);
  try {
    await runPool(concurrency, async (i) => {
      const id = `crash-${i}`;
      out.sent++;
      try {
        const res = await fetch(url, { method: 'POST', headers: deliveryHeaders(signed, id), body, signal: AbortSignal.timeout(30_000) });
        // The status line comes after the commit: a 2xx is an acknowledgement even if the body is cut off.
        if (res.status >= 200 && res.status < 300) out.acked.add(id);
        else out.rejected.set(id, res.status);
        await res.arrayBuffer().catch(() => undefined);
      } catch {
        out.failed.add(id);
      }
    }, { stop: () => stopped });
  } finally {
    clearTimeout(timer);
  }
  return out;
}
