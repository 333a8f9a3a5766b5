import { sql } from 'kysely';
import { APP_ROLE } from '../platform/db.ts';
import { pendingMigrations } from '../platform/migrate.ts';
import type { Platform } from '../platform/runtime.ts';

export interface CheckResult {
  status: 'ok' | 'failing' | 'skipped';
  detail?: string;
  latency_ms?: number;
}

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, CheckResult>;
}

const CHECK_TIMEOUT_MS = 2000;

async function timed(fn: () => Promise<string | undefined>): Promise<CheckResult> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    const detail = await Promise.race([fn(), timeout]);
    return { status: 'ok', latency_ms: Date.now() - started, ...(detail ? { detail } : {}) };
  } catch (err) {
    // The message names what failed (a timeout, a refused connection); it never carries credentials.
    return { status: 'failing', latency_ms: Date.now() - started, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Checks the database (as the app role), the schema version, the job queue and Redis. */
export async function readiness(p: Platform): Promise<ReadinessReport> {
  const [database, migrations, jobs, redis] = await Promise.all([
    timed(async () => {
      const r = await sql<{ u: string }>`select current_user as u`.execute(p.db);
      if (r.rows[0]?.u !== APP_ROLE) throw new Error(`connected as ${r.rows[0]?.u ?? '?'}, not the app role`);
      return undefined;
    }),
    timed(async () => {
      const pending = await pendingMigrations(p.db);
      if (pending.length > 0) throw new Error(`pending migrations: ${pending.join(', ')}`);
      return undefined;
    }),
    timed(() => (p.jobsRunning() ? Promise.resolve(undefined) : Promise.reject(new Error('job queue is not running')))),
    p.stores.shared ? timed(async () => { await p.stores.ping(); return undefined; }) : Promise.resolve<CheckResult>({ status: 'skipped', detail: 'REDIS_URL is not set' }),
  ]);
  const checks = { database, migrations, jobs, redis };
  const ok = Object.values(checks).every((c) => c.status !== 'failing');
  return { status: ok ? 'ok' : 'unavailable', checks };
}
