/**
 * Part 3's two ways of writing touchpoints, fed the same pre-built rows: the batch events API over
 * HTTP, and one plain COPY per batch straight into Postgres. Building the payloads
 * happens before the clock starts, so neither side pays for the benchmark's own work.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { RunSample } from '../lib/compare.ts';
import { elapsedMs, runPool } from '../lib/pool.ts';
import { percentile } from '../lib/stats.ts';

/** One batch, as the API takes it (a JSON body) and as the baseline binds it (a column array each). */
export interface Batch {
  json: string;
  columns: [ids: string[], channels: string[], campaigns: string[], anonymousIds: string[], customerRefs: (string | null)[], occurredAt: string[]];
}

const CHANNELS = ['email', 'paid_search', 'social', 'display', 'affiliate'];

/** `count` batches of `size` touchpoints with ids unique under `tag`. */
export function touchpointBatches(tag: string, count: number, size: number): Batch[] {
  const base = Date.parse('2025-01-01T00:00:00Z');
  return Array.from({ length: count }, (_, b) => {
    const ids: string[] = [], channels: string[] = [], campaigns: string[] = [], anon: string[] = [], refs: (string | null)[] = [], at: string[] = [];
    for (let i = 0; i < size; i++) {
      const n = b * size + i;
      ids.push(`${tag}-${n}`);
      channels.push(CHANNELS[n % CHANNELS.length] as string);
      campaigns.push(`campaign-${n % 40}`);
      anon.push(`anon-${n % 20_000}`);
      refs.push(n % 4 === 0 ? `cust-${n % 5000}` : null);
      at.push(new Date(base + n * 1000).toISOString());
    }
    const events = ids.map((id, i) => ({
      type: 'touchpoint', id, channel: channels[i], campaign: campaigns[i], anonymous_id: anon[i],
      ...(refs[i] !== null ? { customer_ref: refs[i] } : {}), occurred_at: at[i],
    }));
    return { json: JSON.stringify({ events }), columns: [ids, channels, campaigns, anon, refs, at] };
  });
}

/** Sends every batch through a sender function from `senders` concurrent loops; events/s and per-batch latency. */
async function timed(batches: readonly Batch[], size: number, senders: number, send: (b: Batch) => Promise<void>): Promise<RunSample> {
  const latencies: number[] = [];
  const started = performance.now();
  await runPool(senders, async (i) => {
    const t = performance.now();
    await send(batches[i] as Batch);
    latencies.push(elapsedMs(t));
  }, { count: batches.length });
  const seconds = elapsedMs(started) / 1000;
  const events = batches.length * size;
  return { count: events, rate: events / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** POSTs each batch to `/events` with the API key; every event must be written (none duplicate). */
export function sendToApi(api: string, apiKey: string, batches: readonly Batch[], size: number, senders: number): Promise<RunSample> {
  return timed(batches, size, senders, async (b) => {
    const res = await fetch(`${api}/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey }, body: b.json });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`POST /events answered ${res.status}: ${text.slice(0, 300)}`);
    const written = (JSON.parse(text) as { written?: unknown }).written;
    if (written !== size) throw new Error(`POST /events wrote ${String(written)} of ${size} events`);
  });
}

/** One batch as COPY text: tab-separated, `\N` for null (ids and values here hold no tabs or newlines). */
function copyText(tenantId: string, b: Batch): string {
  const [ids, channels, campaigns, anon, refs, at] = b.columns;
  let out = '';
  for (let i = 0; i < ids.length; i++) out += `${tenantId}\t${ids[i] ?? ''}\t${channels[i] ?? ''}\t${campaigns[i] ?? ''}\t${anon[i] ?? ''}\t${refs[i] ?? '\\N'}\t${at[i] ?? ''}\n`;
  return out;
}

/** COPYs each batch as the owner into `tenantId`'s touchpoints from `senders` pooled connections: the plain-COPY baseline. */
export async function insertDirect(url: string, tenantId: string, batches: readonly Batch[], size: number, senders: number): Promise<RunSample> {
  const pool = new pg.Pool({ connectionString: url, max: senders });
  // The COPY text is built before the clock starts, as the API's JSON bodies are.
  const texts = new Map(batches.map((b) => [b, copyText(tenantId, b)]));
  try {
    await Promise.all(Array.from({ length: senders }, async () => (await pool.connect()).release()));
    return await timed(batches, size, senders, async (b) => {
      const client = await pool.connect();
      try {
        const stream = client.query(copyFrom('copy touchpoints (tenant_id, event_id, channel, campaign, anonymous_id, customer_ref, occurred_at) from stdin'));
        await pipeline(Readable.from([texts.get(b) ?? '']), stream);
        if (stream.rowCount !== size) throw new Error(`COPY wrote ${String(stream.rowCount)} of ${size} rows`);
      } finally {
        client.release();
      }
    });
  } finally {
    await pool.end();
  }
}
