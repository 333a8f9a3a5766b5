/** What the ingestion benchmark runs and for how long: flags and BENCH_* variables, shrunk by --quick. */
import { envInt, flagValues, isQuick } from '../lib/settings.ts';

/** The three parts, by the name `--part` takes. */
export const PARTS = ['webhooks', 'crash', 'events'] as const;
export type Part = (typeof PARTS)[number];

/** Every knob of one run. */
export interface IngestSettings {
  quick: boolean;
  parts: Part[];
  /** Webhooks: autocannon connections and seconds per measured run. */
  connections: number;
  seconds: number;
  /** Unmeasured load before the first run of each server: JIT, pools and caches warm. */
  warmupSeconds: number;
  /** Alternating baseline/Tideline rounds per comparison; the tables report the median. */
  rounds: number;
  /** Crash: concurrent senders, when the kill lands, how long the restarted server may take to drain. */
  crashConcurrency: number;
  crashAfterMs: number;
  drainSeconds: number;
  /** Events: batches per run, events per batch (the contract's maximum), concurrent senders. */
  batches: number;
  batchSize: number;
  senders: number;
}

/** Reads the settings from argv and the environment. */
export function ingestSettings(argv: readonly string[] = process.argv.slice(2)): IngestSettings {
  const quick = isQuick(argv);
  const wanted = flagValues('part', argv);
  for (const p of wanted) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown --part "${p}"; parts: ${PARTS.join(', ')}`);
  return {
    quick,
    parts: wanted.length > 0 ? PARTS.filter((p) => wanted.includes(p)) : [...PARTS],
    connections: envInt('BENCH_CONNECTIONS', 20),
    seconds: envInt('BENCH_SECONDS', quick ? 3 : 15),
    warmupSeconds: quick ? 1 : 3,
    rounds: envInt('BENCH_ROUNDS', quick ? 1 : 3),
    crashConcurrency: envInt('BENCH_CRASH_CONCURRENCY', 20),
    crashAfterMs: envInt('BENCH_CRASH_AFTER_MS', quick ? 2000 : 3000),
    drainSeconds: envInt('BENCH_DRAIN_SECONDS', quick ? 60 : 300),
    batches: envInt('BENCH_BATCHES', quick ? 10 : 100),
    batchSize: 1000,
    senders: envInt('BENCH_SENDERS', 4),
  };
}
