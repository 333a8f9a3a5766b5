/** What the KPI benchmark generates and measures: flags and BENCH_* variables, shrunk by --quick. */
import { envInt, flagValues, isQuick } from '../lib/settings.ts';

/** The two parts, by the name `--part` takes: the import against COPY, and the endpoints against the raw aggregate. */
export const PARTS = ['import', 'endpoints'] as const;
export type Part = (typeof PARTS)[number];

/** Every knob of one run. */
export interface KpiSettings {
  quick: boolean;
  /** What to measure; without `endpoints`, only the imported rows are generated and nothing else is loaded. */
  parts: Part[];
  /** Orders generated (all of them end up in `orders`). */
  orders: number;
  stores: number;
  /** The pool customers are drawn from; 1 in 20 orders has none (a guest). */
  customers: number;
  /** The first this many orders go through the import API (and the COPY baseline); the rest are loaded directly. */
  importRows: number;
  /** Measured runs per query case, after `warmup` unmeasured ones. */
  runs: number;
  /** Measured runs of the all-stores KPI case, whose raw aggregate takes seconds each. */
  kpiRuns: number;
  warmup: number;
  /** Keep the database afterwards (on DATABASE_URL's server only). */
  keep: boolean;
  seed: number;
}

// A flag (`--name N`) wins over the variable, which wins over the fallback.
function intOption(flag: string, env: string, fallback: number, argv: readonly string[]): number {
  const [raw] = flagValues(flag, argv);
  if (raw === undefined) return envInt(env, fallback);
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer (got "${raw}")`);
  return n;
}

/** Reads the settings from argv and the environment. */
export function kpiSettings(argv: readonly string[] = process.argv.slice(2)): KpiSettings {
  const quick = isQuick(argv);
  const wanted = flagValues('part', argv);
  for (const p of wanted) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown --part "${p}"; parts: ${PARTS.join(', ')}`);
  const orders = intOption('orders', 'BENCH_ORDERS', quick ? 200_000 : 5_000_000, argv);
  const runs = intOption('runs', 'BENCH_RUNS', quick ? 10 : 30, argv);
  const s: KpiSettings = {
    quick,
    parts: wanted.length > 0 ? PARTS.filter((p) => wanted.includes(p)) : [...PARTS],
    orders,
    stores: intOption('stores', 'BENCH_STORES', 1000, argv),
    // About ten orders per customer over the two years, as in the 5M orders / 500k customers.
    customers: intOption('customers', 'BENCH_CUSTOMERS', Math.max(1000, Math.round(orders / 10)), argv),
    importRows: Math.min(orders, intOption('import-rows', 'BENCH_IMPORT_ROWS', orders, argv)),
    runs,
    kpiRuns: intOption('kpi-runs', 'BENCH_KPI_RUNS', runs, argv),
    warmup: quick ? 2 : 3,
    keep: argv.includes('--keep'),
    seed: intOption('seed', 'BENCH_SEED', 20250101, argv),
  };
  // A cold series run asks for a store no run has asked for yet.
  if (s.stores < s.runs + s.warmup) throw new Error(`--stores must be at least runs + warm-up (${s.runs + s.warmup})`);
  return s;
}
