import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { recordAudit, type RequestMeta } from '../identity/index.ts';
import type { Trx } from '../platform/db.ts';
import { conflict, notFound } from '../platform/errors.ts';
import { checkInstants } from '../platform/time-range.ts';
import { enqueue } from '../platform/jobs.ts';
import { decodeCursor, newestFirst, page } from '../platform/pagination.ts';
import { withTenant } from '../platform/tenancy.ts';
import type { IngestionDeps } from './context.ts';
import { normalizeQueue, replayQueue } from './jobs.ts';
import { toDeadLetter } from './mappers.ts';
import type { Provider } from './providers/types.ts';
import type { DeadLetterStatus } from './tables.ts';
import './tables.ts';

/** Which open dead letters a bulk replay takes. */
export interface ReplayFilter {
  source_id?: string;
  provider?: Provider;
  topic?: string;
  created_from?: string;
  created_to?: string;
}

function letters(trx: Trx) {
  return trx
    .selectFrom('dead_letters as d')
    .innerJoin('raw_events as e', 'e.id', 'd.raw_event_id')
    .selectAll('d')
    .select(['e.source_id', 'e.provider', 'e.topic']);
}

/** A page of dead letters, newest first. */
export async function listDeadLetters(d: IngestionDeps, tenantId: string, f: { limit?: number; cursor?: string; status?: DeadLetterStatus; source_id?: string }) {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => {
    let q = letters(trx).$call(newestFirst(after, limit, 'd.created_at', 'd.id'));
    if (f.status) q = q.where('d.status', '=', f.status);
    if (f.source_id) q = q.where('e.source_id', '=', f.source_id);
    return q.execute();
  });
  const { items, next } = page(rows, limit, (r) => [r.created_at, r.id]);
  return { data: items.map(toDeadLetter), next_cursor: next };
}

/** One dead letter of the tenant. */
export async function getDeadLetter(d: IngestionDeps, tenantId: string, id: string) {
  const r = await withTenant(d.db, tenantId, (trx) => letters(trx).where('d.id', '=', id).executeTakeFirst());
  if (!r) throw notFound('dead letter');
  return toDeadLetter(r);
}

/** Marks open letters replayed and queues their raw events again, in the caller's transaction. */
async function replayLetters(trx: Trx, boss: PgBoss, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const replayed = await trx
    .updateTable('dead_letters')
    .set({ status: 'replayed', replay_count: sql<number>`replay_count + 1`, replayed_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where('id', 'in', [...ids])
    .where('status', '=', 'open')
    .returning(['raw_event_id', 'tenant_id'])
    .execute();
  if (replayed.length === 0) return 0;
  // A replay starts the attempt count afresh: the retry limit applies to each replay.
  await trx.updateTable('raw_events').set({ status: 'pending', attempts: 0 }).where('id', 'in', replayed.map((r) => r.raw_event_id)).execute();
  for (const r of replayed) await enqueue(boss, trx, normalizeQueue, { tenantId: r.tenant_id, rawEventId: r.raw_event_id });
  return replayed.length;
}

/** Replays one dead letter; one already replayed is answered as it is (replays are idempotent). */
export async function replayDeadLetter(d: IngestionDeps, tenantId: string, id: string, meta: RequestMeta) {
  return withTenant(d.db, tenantId, async (trx) => {
    const cur = await trx.selectFrom('dead_letters').select(['status']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!cur) throw notFound('dead letter');
    if (cur.status === 'discarded') throw conflict('The dead letter was discarded; it cannot be replayed.');
    if (cur.status === 'open') {
      await replayLetters(trx, d.boss, [id]);
      await recordAudit(trx, tenantId, meta, 'dead_letter.replayed', { type: 'dead_letter', id });
    }
    return toDeadLetter(await letters(trx).where('d.id', '=', id).executeTakeFirstOrThrow());
  });
}

/** Discards an open dead letter with a reason (audited); discarding twice answers the same state. */
export async function discardDeadLetter(d: IngestionDeps, tenantId: string, id: string, reason: string, meta: RequestMeta) {
  return withTenant(d.db, tenantId, async (trx) => {
    const cur = await trx.selectFrom('dead_letters').select(['status', 'raw_event_id']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!cur) throw notFound('dead letter');
    if (cur.status === 'replayed') throw conflict('The dead letter was replayed; wait for the replay to settle before discarding it.');
    if (cur.status === 'open') {
      await trx.updateTable('dead_letters').set({ status: 'discarded', discard_reason: reason, discarded_at: sql<Date>`now()`, updated_at: sql<Date>`now()` }).where('id', '=', id).execute();
      await trx.updateTable('raw_events').set({ status: 'discarded', status_reason: `discarded: ${reason}`.slice(0, 2000) }).where('id', '=', cur.raw_event_id).execute();
      await recordAudit(trx, tenantId, meta, 'dead_letter.discarded', { type: 'dead_letter', id }, { reason });
    }
    return toDeadLetter(await letters(trx).where('d.id', '=', id).executeTakeFirstOrThrow());
  });
}

function matching(trx: Trx, f: ReplayFilter, createdBefore: string) {
  let q = trx.selectFrom('dead_letters as d').innerJoin('raw_events as e', 'e.id', 'd.raw_event_id').select('d.id').where('d.status', '=', 'open').where('d.created_at', '<=', new Date(createdBefore));
  if (f.source_id) q = q.where('e.source_id', '=', f.source_id);
  if (f.provider) q = q.where('e.provider', '=', f.provider);
  if (f.topic) q = q.where('e.topic', '=', f.topic);
  if (f.created_from) q = q.where('d.created_at', '>=', new Date(f.created_from));
  if (f.created_to) q = q.where('d.created_at', '<', new Date(f.created_to));
  return q;
}

/** The bulk replay job's work: every open letter matching the filter, created up to the request. */
export async function replayMatching(trx: Trx, boss: PgBoss, f: ReplayFilter, createdBefore: string): Promise<number> {
  const ids = (await matching(trx, f, createdBefore).execute()).map((r) => r.id);
  return replayLetters(trx, boss, ids);
}

/** Counts what a bulk replay will take and queues it as a job. */
export async function replayDeadLetters(d: IngestionDeps, tenantId: string, f: ReplayFilter, meta: RequestMeta) {
  checkInstants({ created_from: f.created_from, created_to: f.created_to }, 'body', ['created_from', 'created_to']);
  return withTenant(d.db, tenantId, async (trx) => {
    const { now } = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0] as { now: Date };
    const createdBefore = now.toISOString();
    const count = (await matching(trx, f, createdBefore).execute()).length;
    if (count === 0) return { count: 0, job_id: null };
    const jobId = await enqueue(d.boss, trx, replayQueue, { tenantId, filter: f, createdBefore });
    await recordAudit(trx, tenantId, meta, 'dead_letter.bulk_replay', null, { ...f, count });
    return { count, job_id: jobId };
  });
}
