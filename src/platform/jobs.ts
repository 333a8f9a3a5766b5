import { PgBoss, fromKysely, type Job } from 'pg-boss';
import { insertJobs } from 'pg-boss/dist/plans.js';
import { sql } from 'kysely';
import { APP_ROLE, type Db, type Trx } from './db.ts';
import { withTenant } from './tenancy.ts';
import type { Logger } from './log.ts';
import type { FieldCipher } from './crypto/index.ts';
import type { Config } from './config.ts';
import type { Stores } from './redis.ts';

export const JOB_SCHEMA = 'pgboss';

/** Every payload carries its tenant: a worker runs inside that tenant's transaction. */
export interface TenantPayload {
  tenantId: string;
}

/** What a job may use besides its transaction: the attempt, and platform services. */
export interface JobContext {
  id: string;
  retryCount: number;
  cipher: FieldCipher;
  log: Logger;
  config: Config;
  /** To enqueue follow-up jobs inside the job's own transaction. */
  boss: PgBoss;
  /** Shared caches and limits (cache invalidation after a write). */
  stores: Stores;
}

/** One queue: its retry policy, how its payload is checked, and what a job does. */
export interface QueueDef<P extends TenantPayload = TenantPayload> {
  name: string;
  retryLimit: number;
  /** Seconds before the first retry; doubled each attempt (pg-boss backoff, with jitter). */
  retryDelay: number;
  retryDelayMax?: number;
  expireInSeconds?: number;
  /** Jobs fetched at once (default 10); a full batch makes the worker fetch again at once instead of waiting for the next poll. */
  batchSize?: number;
  /** Payloads arrive as `unknown` (another version of the code may have written them): check them. */
  parse(data: unknown): P;
  /** The work, in one transaction of the payload's tenant: it commits, or nothing happened. */
  handle?(trx: Trx, payload: P, job: JobContext): Promise<void>;
  /**
   * Instead of `handle`, for long jobs that commit as they go (imports report progress): gets the
   * pool and opens its own tenant transactions.
   */
  run?(db: Db, payload: P, job: JobContext): Promise<void>;
  /**
   * Called in a fresh tenant transaction when an attempt failed; answering true parks the job
   * (the domain recorded it, say as a dead letter) instead of leaving it to pg-boss's retries.
   */
  onError?(this: void, trx: Trx, payload: P, error: unknown, job: JobContext): Promise<boolean>;
}

/** Defines a queue; the identity function exists so the payload type is inferred once. */
export function defineQueue<P extends TenantPayload>(def: QueueDef<P>): QueueDef<P> {
  if ((def.handle === undefined) === (def.run === undefined)) throw new Error(`queue ${def.name} needs exactly one of handle and run`);
  return def;
}

/** Where a queue's jobs go when they have failed every retry. */
export function deadLetterName(queue: string): string {
  return `${queue}__dead`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks that a payload is an object with a tenant uuid; the domain's parse checks the rest. */
export function tenantPayload(data: unknown): TenantPayload & Record<string, unknown> {
  if (typeof data !== 'object' || data === null) throw new Error('job payload must be an object');
  const tenantId = (data as Record<string, unknown>).tenantId;
  if (typeof tenantId !== 'string' || !UUID.test(tenantId)) throw new Error('job payload needs a tenantId uuid');
  return data as TenantPayload & Record<string, unknown>;
}

/**
 * Installs pg-boss's schema and every queue (with its dead-letter queue) as the owner role, then
 * grants the app role what it needs. Runs with the migrations: the app role cannot create tables.
 */
export async function installJobs(ownerUrl: string, ownerDb: Db, queues: readonly QueueDef<never>[]): Promise<void> {
  const boss = new PgBoss({ connectionString: ownerUrl, schema: JOB_SCHEMA, supervise: false, schedule: false, max: 2 });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    for (const q of queues) {
      const dead = deadLetterName(q.name);
      if (!(await boss.getQueue(dead))) await boss.createQueue(dead, { retryLimit: 0 });
      const options = {
        retryLimit: q.retryLimit,
        retryDelay: q.retryDelay,
        retryBackoff: true,
        ...(q.retryDelayMax !== undefined ? { retryDelayMax: q.retryDelayMax } : {}),
        ...(q.expireInSeconds !== undefined ? { expireInSeconds: q.expireInSeconds } : {}),
        deadLetter: dead,
      };
      if (await boss.getQueue(q.name)) await boss.updateQueue(q.name, options);
      else await boss.createQueue(q.name, options);
    }
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
  const role = sql.id(APP_ROLE);
  const schema = sql.id(JOB_SCHEMA);
  await sql`grant usage on schema ${schema} to ${role}`.execute(ownerDb);
  await sql`grant select, insert, update, delete on all tables in schema ${schema} to ${role}`.execute(ownerDb);
  await sql`grant usage, select on all sequences in schema ${schema} to ${role}`.execute(ownerDb);
  await sql`grant execute on all functions in schema ${schema} to ${role}`.execute(ownerDb);
  await sql`alter default privileges in schema ${schema} grant select, insert, update, delete on tables to ${role}`.execute(ownerDb);
}

/** A pg-boss instance for the app role: it never migrates, the owner did that. */
export function createBoss(appUrl: string, log: Logger): PgBoss {
  const boss = new PgBoss({ connectionString: appUrl, schema: JOB_SCHEMA, migrate: false, createSchema: false, max: 4 });
  boss.on('error', (err: unknown) => log.error({ err }, 'job queue error'));
  return boss;
}

/** Enqueues inside the caller's transaction: a rolled-back write leaves no job behind. */
export async function enqueue<P extends TenantPayload>(
  boss: PgBoss,
  trx: Trx,
  queue: QueueDef<P>,
  payload: P,
  options: { singletonKey?: string; startAfter?: number } = {},
): Promise<string | null> {
  return boss.send(queue.name, payload as object, { ...options, db: fromKysely(trx) });
}

// pg-boss's job insert reads its jobs from this parameter (a JSON array as text).
const JOBS_PARAM = '$1::text::json';

/**
 * pg-boss's own job insert for `queue`, to run as one CTE of a caller's statement, inserting its
 * job only when the CTE `gate` returned a row. It saves the hot webhook path a round trip and a
 * transaction: the statement that stores a delivery queues its job, atomically, or neither.
 * Its `$1` is the job array as JSON text (see `jobsJson`); the caller's own parameters follow.
 */
export async function gatedJobInsert(boss: PgBoss, queue: Pick<QueueDef, 'name'>, gate: string): Promise<string> {
  const q = (await boss.getQueue(queue.name)) as { table?: string; notify?: boolean } | null;
  if (!q?.table) throw new Error(`queue ${queue.name} is not installed`);
  // Queues here are polled, not notified: pg-boss's notify form is itself a CTE, which cannot nest.
  if (q.notify) throw new Error(`queue ${queue.name} notifies; gatedJobInsert supports polled queues only`);
  const text = insertJobs(JOB_SCHEMA, { table: q.table, name: queue.name, returnId: true, notify: false });
  // A pinned pg-boss reads the jobs once; another version's plan would fail here, not silently.
  if (text.split(JOBS_PARAM).length !== 2) throw new Error('pg-boss job insert no longer reads its jobs from $1; gatedJobInsert needs updating');
  // No row from the gate: the JSON is null and json_to_recordset yields no job.
  return text.replace(JOBS_PARAM, `(select $1::text from ${gate} limit 1)::json`);
}

/** The `$1` of a gated job insert: one job with `payload`, every option left to the queue's policy. */
export function jobsJson<P extends TenantPayload>(_queue: QueueDef<P>, payload: P): string {
  return JSON.stringify([{ data: payload }]);
}

/** Starts a worker per queue; each job runs in its tenant's transaction after its payload is checked. */
export async function startWorkers(
  boss: PgBoss,
  appDb: Db,
  queues: readonly QueueDef<never>[],
  services: { log: Logger; cipher: FieldCipher; config: Config; stores: Stores },
  opts: { concurrency?: number; pollingIntervalSeconds?: number } = {},
): Promise<void> {
  const { log } = services;
  for (const q of queues as readonly QueueDef[]) {
    const batchSize = q.batchSize ?? 10;
    const options = { localConcurrency: opts.concurrency ?? 2, batchSize, burstWhenBatchFull: batchSize > 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 };
    await boss.work(q.name, options, async (jobs: Job<unknown>[]) => {
      for (const job of jobs) {
        let payload: TenantPayload;
        try {
          payload = q.parse(job.data);
        } catch (err) {
          // A payload that does not parse fails alone; it must not take its batch down with it.
          log.warn({ queue: q.name, jobId: job.id, err }, 'job payload refused');
          await boss.fail(q.name, job.id, { message: err instanceof Error ? err.message : String(err) });
          continue;
        }
        const ctx: JobContext = { id: job.id, retryCount: job.retryCount, boss, ...services };
        const started = Date.now();
        try {
          if (q.run) await q.run(appDb, payload, ctx);
          else if (q.handle) await withTenant(appDb, payload.tenantId, (trx) => (q.handle as NonNullable<QueueDef['handle']>)(trx, payload, ctx));
          log.debug({ queue: q.name, jobId: job.id, ms: Date.now() - started }, 'job done');
        } catch (err) {
          log.warn({ queue: q.name, jobId: job.id, retryCount: job.retryCount, err }, 'job failed');
          const onError = q.onError;
          if (onError && (await withTenant(appDb, payload.tenantId, (trx) => onError(trx, payload, err, ctx)))) continue;
          // Fail this job alone (pg-boss retries it with backoff); the rest of the batch goes on.
          // pg-boss then completes only the jobs still active.
          await boss.fail(q.name, job.id, { message: err instanceof Error ? err.message : String(err) });
        }
      }
    });
  }
}