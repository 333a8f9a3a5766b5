/**
 * Part 1: signed Shopify webhooks through Tideline versus a bare Express + one INSERT baseline, on
 * the same database, at a fixed concurrency for a fixed time, alternating runs.
 */
import { signUpTenant } from '../lib/api.ts';
import { alternate, printComparison, type RunSample } from '../lib/compare.ts';
import { num } from '../lib/format.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { queryNumber, withOwner } from '../lib/owner.ts';
import { startTideline } from '../lib/tideline.ts';
import { startBaseline } from './baseline.ts';
import type { PartResult } from './result.ts';
import type { IngestSettings } from './settings.ts';
import { createShopifySource, deliveryRequest, orderBody } from './shopify.ts';

/** Tideline ÷ baseline requests per second the ingest path should reach. */
export const WEBHOOK_TARGET = 0.6;

function describe(name: string, r: LoadResult): string {
  const codes = Object.entries(r.statuses).map(([k, v]) => `${k}×${v}`).join(' ');
  return `${name}: ${r.non2xx} non-2xx, ${r.errors} errors/timeouts (statuses: ${codes || 'none'})`;
}

/** Runs part 1 on the database at `url` (owner role); `serverEnv` goes to the Tideline child. */
export async function benchWebhooks(s: IngestSettings, url: string, serverEnv: Record<string, string>): Promise<PartResult> {
  const problems: string[] = [];
  // Workers off: normalization jobs pile up unprocessed, which is what an ingest-only measure wants.
  const tideline = await startTideline({ databaseUrl: url, role: 'api', env: serverEnv });
  try {
    const baseline = await startBaseline(url);
    try {
      const tenant = await signUpTenant(tideline.api);
      const source = await createShopifySource(tideline.api, tenant.token);
      const body = orderBody();
      const acked = { baseline: 0, tideline: 0 };
      const measure = async (name: 'baseline' | 'tideline', origin: string, label: string, seconds: number): Promise<RunSample> => {
        const load = await runLoad(origin, deliveryRequest(source.path, body, source.secret, label), s.connections, seconds);
        acked[name] += load.statuses['202'] ?? 0;
        // Every delivery has a new event id: a 200 would be a duplicate, measuring another path.
        const other = load.requests - (load.statuses['202'] ?? 0);
        if (load.non2xx > 0 || load.errors > 0 || other > 0) problems.push(describe(`${name} ${label}`, load));
        return { count: load.requests, rate: load.rps, p50: load.p50, p99: load.p99 };
      };
      await measure('baseline', baseline.origin, 'warmup-b', s.warmupSeconds);
      await measure('tideline', tideline.origin, 'warmup-t', s.warmupSeconds);
      const runs = await alternate(
        s.rounds,
        { name: 'baseline', run: (r) => measure('baseline', baseline.origin, `b${r}`, s.seconds) },
        { name: 'tideline', run: (r) => measure('tideline', tideline.origin, `t${r}`, s.seconds) },
      );
      printComparison(
        `Part 1 — signed Shopify orders/create (${body.length} B), ${s.connections} connections × ${s.seconds} s, ${s.rounds} round(s)`,
        { count: 'requests', rate: 'req/s', latency: 'ms' },
        { baseline: 'baseline: express + 1 INSERT', candidate: 'tideline webhook' },
        runs,
        WEBHOOK_TARGET,
      );
      // Autocannon drops what is in flight when time is up, and the server may still store it: ≥, not =.
      const stored = await withOwner(url, async (c) => ({
        tideline: await queryNumber(c, 'select count(*) from raw_events where source_id = $1', [source.id]),
        baseline: await queryNumber(c, 'select count(*) from bench_baseline'),
      }));
      process.stdout.write(`stored: tideline ${num(stored.tideline)} raw events for ${num(acked.tideline)} acknowledged; baseline ${num(stored.baseline)} rows for ${num(acked.baseline)} acknowledged (warm-ups included)\n`);
      if (stored.tideline < acked.tideline) problems.push(`tideline acknowledged ${acked.tideline} deliveries but stored ${stored.tideline}`);
      if (stored.baseline < acked.baseline) problems.push(`baseline acknowledged ${acked.baseline} deliveries but stored ${stored.baseline}`);
    } finally {
      await baseline.child.stop();
    }
  } finally {
    await tideline.child.stop();
  }
  return { problems };
}
