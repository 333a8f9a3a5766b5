import type { Request } from 'express';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql } from 'kysely';
import { cacheInvalidator, monthTouches, rebuildRollups, resolveStores, settleFirstOrders, writeOrders, type CanonicalOrder } from '../commerce/index.ts';
import type { Db, Trx } from '../platform/db.ts';
import { AppError, badRequest, notFound } from '../platform/errors.ts';
import { enqueue, type JobContext } from '../platform/jobs.ts';
import { decodeCursor, newestFirst, page } from '../platform/pagination.ts';
import { afterCommit, withTenant } from '../platform/tenancy.ts';
import type { IngestionDeps } from './context.ts';
import { ImportFormatError, parseImport, type SalesRow, type StoreRow } from './imports/index.ts';
import { importQueue } from './jobs.ts';
import { unnestRows } from '../platform/column-arrays.ts';
import { toImport } from './mappers.ts';
import type { ImportKind } from './tables.ts';
import './tables.ts';

// The upload is kept in chunks of this size: big enough for few rows, small enough to hold one in memory.
const CHUNK_BYTES = 1024 * 1024;
// Rows written per transaction by the import job; progress becomes visible at each commit.
const BATCH_ROWS = 2000;
const MAX_REJECTIONS = 100;
// Parsed rows run on as microtasks, which starve I/O: the parser steps aside this often, so the
// replies of the batch being written are handled as they arrive, not after the next batch is parsed.
const YIELD_ROWS = 50;

function formatOf(req: Request): 'csv' | 'ndjson' {
  if (req.is('text/csv')) return 'csv';
  if (req.is('application/x-ndjson')) return 'ndjson';
  throw new AppError(415, 'unsupported-media-type', 'Send text/csv or application/x-ndjson.');
}

/**
 * Streams the upload into chunks inside one transaction with the import row and its job: the
 * 202 means the whole file is stored and will be processed; a failed or oversized upload leaves nothing.
 */
export async function createImport(d: IngestionDeps, tenantId: string, req: Request, kind: ImportKind, fileName: string | undefined) {
  const format = formatOf(req);
  const max = d.config.ingestion.bodyLimits.import;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) throw new AppError(413, 'body-too-large', `The upload is larger than ${max} bytes.`);
  const row = await withTenant(d.db, tenantId, async (trx) => {
    const imp = await trx.insertInto('imports').values({ tenant_id: tenantId, kind, format, file_name: fileName ?? null, rejections: JSON.stringify([]) }).returningAll().executeTakeFirstOrThrow();
    let bytes = 0;
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      await trx.insertInto('import_chunks').values({ tenant_id: tenantId, import_id: imp.id, seq: seq++, data: Buffer.concat(pending, pendingBytes) }).execute();
      pending = [];
      pendingBytes = 0;
    };
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > max) throw new AppError(413, 'body-too-large', `The upload is larger than ${max} bytes.`);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    await flush();
    if (bytes === 0) throw badRequest('The upload is empty.', [{ name: 'body', reason: 'is empty' }]);
    const stored = await trx.updateTable('imports').set({ bytes }).where('id', '=', imp.id).returningAll().executeTakeFirstOrThrow();
    await enqueue(d.boss, trx, importQueue, { tenantId, importId: imp.id });
    return stored;
  });
  return toImport(row);
}

/** A page of imports, newest first. */
export async function listImports(d: IngestionDeps, tenantId: string, f: { limit?: number; cursor?: string }) {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor);
  const rows = await withTenant(d.db, tenantId, (trx) => {
    return trx.selectFrom('imports').selectAll().$call(newestFirst(after, limit, 'created_at', 'id')).execute();
  });
  const { items, next } = page(rows, limit, (r) => [r.created_at, r.id]);
  return { data: items.map(toImport), next_cursor: next };
}

/** One import and its progress. */
export async function getImport(d: IngestionDeps, tenantId: string, id: string) {
  const r = await withTenant(d.db, tenantId, (trx) => trx.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst());
  if (!r) throw notFound('import');
  return toImport(r);
}

// Reads the stored chunks back one at a time (each in its own short transaction), so a file never sits whole in memory.
async function* chunks(db: Db, tenantId: string, importId: string): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq++) {
    const c = await withTenant(db, tenantId, (trx) => trx.selectFrom('import_chunks').select('data').where('import_id', '=', importId).where('seq', '=', seq).executeTakeFirst());
    if (!c) return;
    yield c.data;
  }
}

// One statement cannot upsert the same key twice: within a batch, the file's later row wins.
function lastBy<T>(rows: readonly T[], key: (r: T) => string): T[] {
  return [...new Map(rows.map((r) => [key(r), r])).values()];
}

async function writeSales(trx: Trx, tenantId: string, all: readonly SalesRow[]): Promise<number> {
  const rows = lastBy(all, (r) => `${r.store}\u0000${r.date}`);
  const stores = await resolveStores(trx, tenantId, rows.map((r) => r.store), 'import');
  const { names, select } = unnestRows(rows, {
    tenant_id: ['uuid', () => tenantId], store_id: ['uuid', (s) => stores.get(s.store)], day: ['date', (s) => s.date], day_of_week: ['int2', (s) => s.dayOfWeek],
    sales: ['numeric', (s) => s.sales], customers: ['int4', (s) => s.customers], open: ['bool', (s) => s.open], promo: ['bool', (s) => s.promo],
    state_holiday: ['text', (s) => s.stateHoliday], school_holiday: ['bool', (s) => s.schoolHoliday],
  });
  const r = await trx
    .insertInto('store_daily_sales')
    .columns(names)
    .expression(select)
    .onConflict((oc) => oc.columns(['tenant_id', 'store_id', 'day']).doUpdateSet((eb) => ({
      day_of_week: eb.ref('excluded.day_of_week'), sales: eb.ref('excluded.sales'), customers: eb.ref('excluded.customers'), open: eb.ref('excluded.open'),
      promo: eb.ref('excluded.promo'), state_holiday: eb.ref('excluded.state_holiday'), school_holiday: eb.ref('excluded.school_holiday'),
    })))
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n);
}

async function writeStores(trx: Trx, tenantId: string, all: readonly StoreRow[]): Promise<number> {
  const rows = lastBy(all, (r) => r.store);
  const { names, select } = unnestRows(rows, {
    tenant_id: ['uuid', () => tenantId], external_id: ['text', (s) => s.store], name: ['text', (s) => `Store ${s.store}`], store_type: ['text', (s) => s.storeType],
    assortment: ['text', (s) => s.assortment], competition_distance: ['numeric', (s) => s.competitionDistance], competition_open_since: ['date', (s) => s.competitionOpenSince],
    promo2: ['bool', (s) => s.promo2], promo2_since: ['date', (s) => s.promo2Since], promo_interval: ['text', (s) => s.promoInterval], created_via: ['text', () => 'import'],
  });
  const r = await trx
    .insertInto('stores')
    .columns(names)
    .expression(select)
    .onConflict((oc) => oc.columns(['tenant_id', 'external_id']).doUpdateSet((eb) => ({
      store_type: eb.ref('excluded.store_type'), assortment: eb.ref('excluded.assortment'), competition_distance: eb.ref('excluded.competition_distance'),
      competition_open_since: eb.ref('excluded.competition_open_since'), promo2: eb.ref('excluded.promo2'), promo2_since: eb.ref('excluded.promo2_since'),
      promo_interval: eb.ref('excluded.promo_interval'), updated_at: sql`now()`,
    })))
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n);
}

interface Batch {
  sales: SalesRow[];
  stores: StoreRow[];
  orders: CanonicalOrder[];
}

/**
 * The import job: parses the stored file and writes rows in batches, one transaction each, with
 * the progress in the same commit. A retry after a crash starts over; writes are upserts on
 * natural keys, so rows written twice are written once.
 */
export async function runImport(db: Db, job: JobContext, tenantId: string, importId: string): Promise<void> {
  const imp = await withTenant(db, tenantId, (trx) =>
    trx.updateTable('imports').set({ status: 'running', started_at: sql`now()`, rows_read: 0, rows_written: 0, rows_rejected: 0, rejections: JSON.stringify([]), error: null })
      .where('id', '=', importId).where('status', 'in', ['queued', 'running']).returningAll().executeTakeFirst(),
  );
  if (!imp) return;
  const rejections: { row: number; reason: string }[] = [];
  let read = 0;
  let rejected = 0;
  let batch: Batch = { sales: [], stores: [], orders: [] };
  const span = { from: Number.POSITIVE_INFINITY, to: Number.NEGATIVE_INFINITY };
  // Stores found or created by one batch are not looked up again by the next ones.
  const lookups = { stores: new Map<string, string>() };
  const commit = async (final: boolean) => {
    const b = batch;
    batch = { sales: [], stores: [], orders: [] };
    // The progress as of this batch's last row: the parser reads on while the batch is written.
    const progress = { rows_read: read, rows_rejected: rejected, rejections: JSON.stringify(rejections) };
    await withTenant(db, tenantId, async (trx) => {
      let written = 0;
      if (b.sales.length) {
        written += await writeSales(trx, tenantId, b.sales);
        // Reported daily figures feed the KPIs too: their months are recomputed once this commits.
        const invalidate = cacheInvalidator(job.stores, tenantId);
        const touches = [...new Set(b.sales.map((r) => r.date))].map((day) => ({ storeId: null, at: `${day}T12:00:00.000Z` }));
        afterCommit(trx, () => invalidate(touches));
      }
      if (b.stores.length) written += await writeStores(trx, tenantId, b.stores);
      if (b.orders.length) {
        written += (await writeOrders(trx, { tenantId, sourceId: null, storeId: null, cipher: job.cipher, bulk: true, lookups }, b.orders)).length;
        for (const o of b.orders) {
          const at = Date.parse(o.placedAt);
          span.from = Math.min(span.from, at);
          span.to = Math.max(span.to, at);
        }
      }
      await trx.updateTable('imports').set({
        ...progress, rows_written: sql`rows_written + ${written}`,
        ...(final ? { status: 'succeeded' as const, finished_at: sql`now()` } : {}),
      }).where('id', '=', importId).execute();
      if (final && span.to >= span.from) {
        // Orders were written without their rollups (bulk): rebuild the range they cover, once.
        const window = { from: new Date(span.from), to: new Date(span.to) };
        await rebuildRollups(trx, 'all', window);
        await settleFirstOrders(trx, window.from, window.to);
        const invalidate = cacheInvalidator(job.stores, tenantId);
        afterCommit(trx, () => invalidate(monthTouches(window.from, window.to)));
      }
      if (final) await trx.deleteFrom('import_chunks').where('import_id', '=', importId).execute();
    });
  };
  // One batch is written while the next is parsed (Node and Postgres each busy), never two at once:
  // batches commit in file order, so a later row still wins and progress only moves forward.
  let writing: Promise<void> = Promise.resolve();
  const next = async (final: boolean) => {
    await writing;
    writing = commit(final);
    // Seen by the await above or below; until then a failure must not count as unhandled.
    writing.catch(() => undefined);
  };
  try {
    for await (const r of parseImport(imp.kind, imp.format, chunks(db, tenantId, importId))) {
      read++;
      if (read % YIELD_ROWS === 0) await nextTurn();
      if (!r.ok) {
        rejected++;
        if (rejections.length < MAX_REJECTIONS) rejections.push({ row: r.row, reason: r.reason });
        continue;
      }
      const v = r.value;
      if (v.kind === 'sales') batch.sales.push(v.value);
      else if (v.kind === 'stores') batch.stores.push(v.value);
      else batch.orders.push(v.value);
      if (batch.sales.length + batch.stores.length + batch.orders.length >= BATCH_ROWS) await next(false);
    }
    await next(true);
    await writing;
  } catch (err) {
    // A batch still being written finishes (or fails) before the import's outcome is recorded.
    await writing.catch(() => undefined);
    if (!(err instanceof ImportFormatError)) throw err;
    // The file as a whole is unusable (a missing column): retrying cannot help.
    await withTenant(db, tenantId, (trx) =>
      trx.updateTable('imports').set({ status: 'failed', error: err.message, finished_at: sql`now()` }).where('id', '=', importId).execute(),
    );
  }
}

/** Marks an import failed once its job has given up, so its status never stays `running`. */
export async function failImport(trx: Trx, importId: string, error: unknown): Promise<void> {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
  await trx.updateTable('imports').set({ status: 'failed', error: message, finished_at: sql`now()` }).where('id', '=', importId).where('status', 'in', ['queued', 'running']).execute();
}
