/**
 * Tideline as a child process (`node src/main.ts`), configured for measuring rather than for
 * production: quiet logs, no response validation, rate limits out of the way.
 */
import path from 'node:path';
import { freePort } from '../../lib/scratch-database.ts';
import { spawnNode, waitForHttp, type Child } from './children.ts';

const MAIN = path.resolve(import.meta.dirname, '../../../src/main.ts');
const UNLIMITED = '10000000';

/** How to run one Tideline process. */
export interface TidelineOptions {
  /** Owner URL of the database; always given, so the child never starts an embedded Postgres of its own. */
  databaseUrl: string;
  /** `api` keeps workers off the CPU while measuring HTTP; `all` drains the queues too. */
  role: 'api' | 'worker' | 'all';
  /** A port to reuse (a restart on the same address); a free one otherwise. */
  port?: number;
  /** Name shown in messages. */
  name?: string;
  /** More variables, last word over the defaults (e.g. the embedded server's app password). */
  env?: Record<string, string>;
}

/** A started Tideline child and its base URLs. */
export interface RunningTideline {
  child: Child;
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `<origin>/api/v1` */
  api: string;
}

/** The environment of a benchmark Tideline: the parent's, minus what would point it elsewhere, plus the bench settings. */
export function tidelineEnv(opts: TidelineOptions, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // An app URL of the parent's would point the child at another database than the bench one.
  delete env.DATABASE_APP_URL;
  return {
    ...env,
    DATABASE_URL: opts.databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    TIDELINE_ROLE: opts.role,
    // Production would demand real keys; development with validation off measures the same code path.
    NODE_ENV: 'development',
    VALIDATE_RESPONSES: 'false',
    LOG_LEVEL: 'warn',
    DEMO_SEED: 'false',
    MIGRATE_ON_START: 'true',
    SHUTDOWN_TIMEOUT_MS: '5000',
    RATE_LIMIT_WEBHOOKS_PER_SOURCE_PER_MINUTE: UNLIMITED,
    RATE_LIMIT_TENANT_PER_MINUTE: UNLIMITED,
    RATE_LIMIT_API_KEY_PER_MINUTE: UNLIMITED,
    // One database per run: its name keeps runs sharing a Redis apart.
    REDIS_KEY_PREFIX: `tideline-bench:${new URL(opts.databaseUrl).pathname.slice(1)}:`,
    ...opts.env,
  };
}

/** Starts Tideline and waits until its liveness probe answers (migrations done, HTTP listening). */
export async function startTideline(opts: TidelineOptions): Promise<RunningTideline> {
  const port = opts.port ?? (await freePort());
  const child = spawnNode(opts.name ?? `tideline(${opts.role})`, MAIN, tidelineEnv(opts, port));
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(child, `${origin}/api/v1/health/liveness`);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { child, port, origin, api: `${origin}/api/v1` };
}
