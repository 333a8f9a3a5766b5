/** Benchmark settings from flags and the environment, and the header line every run prints first. */
import { availableParallelism } from 'node:os';

/** `--quick` or BENCH_QUICK=1: shrink every duration for a smoke run. */
export function isQuick(argv: readonly string[] = process.argv.slice(2)): boolean {
  return argv.includes('--quick') || ['1', 'true', 'yes'].includes(process.env.BENCH_QUICK ?? '');
}

/** A positive integer from the environment, or the fallback when unset; a bad value stops the run. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return n;
}

/** The values of a repeatable `--name value` / `--name=value` flag. */
export function flagValues(name: string, argv: readonly string[] = process.argv.slice(2)): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a === `--${name}` && argv[i + 1] !== undefined) out.push(argv[i + 1] as string);
    else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  });
  return out.flatMap((v) => v.split(',')).filter((v) => v !== '');
}

/** Prints `<title>: date, node, CPUs` and then the settings, so a pasted result says how it was made. */
export function printHeader(title: string, settings: Record<string, string | number | boolean>): void {
  const env = `${new Date().toISOString()} · node ${process.version} · ${availableParallelism()} CPUs · ${process.platform}/${process.arch}`;
  const set = Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  process.stdout.write(`${title}: ${env}\nsettings: ${set}\n`);
}
