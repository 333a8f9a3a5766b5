/**
 * Part 3: the batch events API (1,000 touchpoints a request, a few concurrent senders) versus a
 * plain COPY FROM STDIN of the same rows as the owner (pg-copy-streams), alternating runs.
 */
import { createApiKey, signUpTenant } from '../lib/api.ts';
import { alternate, printComparison } from '../lib/compare.ts';
import { num } from '../lib/format.ts';
import { queryNumber, withOwner } from '../lib/owner.ts';
import { startTideline } from '../lib/tideline.ts';
import { insertDirect, sendToApi, touchpointBatches } from './events-load.ts';
import type { PartResult } from './result.ts';
import type { IngestSettings } from './settings.ts';

/** API events/s ÷ baseline rows/s the batch path should reach. */
export const EVENTS_TARGET = 0.5;

/** The tenant the baseline writes into, made directly as the owner. */
async function baselineTenant(url: string, tag: string): Promise<string> {
  return withOwner(url, async (c) => {
    const r = await c.query<{ id: string }>('insert into tenants (slug, name) values ($1, $2) returning id', [`bench-bulk-${tag}`, 'Bench bulk insert baseline']);
    return (r.rows[0] as { id: string }).id;
  });
}

/** Runs part 3 on the database at `url` (owner role). */
export async function benchEvents(s: IngestSettings, url: string, serverEnv: Record<string, string>): Promise<PartResult> {
  const problems: string[] = [];
  const tideline = await startTideline({ databaseUrl: url, role: 'api', env: serverEnv });
  try {
    const tenant = await signUpTenant(tideline.api);
    const apiKey = await createApiKey(tideline.api, tenant.token, ['ingest:write']);
    const bulkTenant = await baselineTenant(url, tenant.slug.slice(-10));
    // Warm both paths (JIT, validator compilation, pools) on a few batches that are not measured.
    const warm = Math.min(s.batches, s.senders * 2);
    await sendToApi(tideline.api, apiKey, touchpointBatches('warm-api', warm, s.batchSize), s.batchSize, s.senders);
    await insertDirect(url, bulkTenant, touchpointBatches('warm-bulk', warm, s.batchSize), s.batchSize, s.senders);
    const runs = await alternate(
      s.rounds,
      { name: 'bulk', run: (r) => insertDirect(url, bulkTenant, touchpointBatches(`bulk${r}`, s.batches, s.batchSize), s.batchSize, s.senders) },
      { name: 'api', run: (r) => sendToApi(tideline.api, apiKey, touchpointBatches(`api${r}`, s.batches, s.batchSize), s.batchSize, s.senders) },
    );
    printComparison(
      `Part 3 — ${num(s.batches)} batches × ${num(s.batchSize)} touchpoints from ${s.senders} concurrent senders, ${s.rounds} round(s)`,
      { count: 'events', rate: 'events/s', latency: 'ms/batch' },
      { baseline: 'plain COPY', candidate: 'POST /api/v1/events' },
      runs,
      EVENTS_TARGET,
    );
    const expected = (s.rounds * s.batches + warm) * s.batchSize;
    const stored = await withOwner(url, async (c) => ({
      api: await queryNumber(c, 'select count(*) from touchpoints where tenant_id = $1', [tenant.tenantId]),
      bulk: await queryNumber(c, 'select count(*) from touchpoints where tenant_id = $1', [bulkTenant]),
    }));
    process.stdout.write(`stored: api tenant ${num(stored.api)}, baseline tenant ${num(stored.bulk)} touchpoints (each expected ${num(expected)}, warm-ups included)\n`);
    if (stored.api !== expected) problems.push(`the API tenant has ${stored.api} touchpoints, expected ${expected}`);
    if (stored.bulk !== expected) problems.push(`the baseline tenant has ${stored.bulk} touchpoints, expected ${expected}`);
  } finally {
    await tideline.child.stop();
  }
  return { problems };
}
