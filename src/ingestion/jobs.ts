import { defineQueue, tenantPayload, type QueueDef } from '../platform/jobs.ts';
import { replayMatching, type ReplayFilter } from './service-dead-letters.ts';
import { failImport, runImport } from './service-imports.ts';

const IMPORT_RETRIES = 2;
import { NORMALIZE_QUEUE, normalizeRawEvent, recordFailure } from './service-normalize.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidField(data: Record<string, unknown>, name: string): string {
  const v = data[name];
  if (typeof v !== 'string' || !UUID.test(v)) throw new Error(`job payload needs ${name} as a uuid`);
  return v;
}

/** Turns a raw event into canonical rows; failures past the retry limit become dead letters. */
export const normalizeQueue = defineQueue<{ tenantId: string; rawEventId: string }>({
  name: NORMALIZE_QUEUE,
  // pg-boss's own retries are a backstop: onError decides (NORMALIZE_RETRY_LIMIT) and parks the job.
  retryLimit: 10,
  retryDelay: 5,
  retryDelayMax: 600,
  // A normalization takes milliseconds: a job held this long belongs to a worker that died.
  expireInSeconds: 120,
  parse: (data) => {
    const p = tenantPayload(data);
    return { tenantId: p.tenantId, rawEventId: uuidField(p, 'rawEventId') };
  },
  handle: (trx, p, job) => normalizeRawEvent(trx, job, p.tenantId, p.rawEventId),
  onError: (trx, p, err, job) => recordFailure(trx, p.rawEventId, err, job.config.ingestion.normalizeRetryLimit),
});

/** Replays the open dead letters matching a filter, as they were when the replay was asked for. */
export const replayQueue = defineQueue<{ tenantId: string; filter: ReplayFilter; createdBefore: string }>({
  name: 'ingestion.replay',
  retryLimit: 3,
  retryDelay: 10,
  parse: (data) => {
    const p = tenantPayload(data);
    const filter = (typeof p.filter === 'object' && p.filter !== null ? p.filter : {}) as ReplayFilter;
    if (typeof p.createdBefore !== 'string' || Number.isNaN(Date.parse(p.createdBefore))) throw new Error('job payload needs createdBefore');
    return { tenantId: p.tenantId, filter, createdBefore: p.createdBefore };
  },
  handle: async (trx, p, job) => {
    await replayMatching(trx, job.boss, p.filter, p.createdBefore);
  },
});

/** Parses an uploaded file from its stored chunks and writes its rows, committing as it goes. */
export const importQueue = defineQueue<{ tenantId: string; importId: string }>({
  name: 'ingestion.import',
  retryLimit: IMPORT_RETRIES,
  retryDelay: 30,
  // A 512 MiB import can take a while; past this, pg-boss assumes the worker died and retries.
  expireInSeconds: 3 * 3600,
  batchSize: 1,
  parse: (data) => {
    const p = tenantPayload(data);
    return { tenantId: p.tenantId, importId: uuidField(p, 'importId') };
  },
  run: (db, p, job) => runImport(db, job, p.tenantId, p.importId),
  onError: async (trx, p, err, job) => {
    if (job.retryCount < IMPORT_RETRIES) return false;
    await failImport(trx, p.importId, err);
    return true;
  },
});

/** Every ingestion queue. */
export const ingestionQueues: readonly QueueDef<never>[] = [normalizeQueue as QueueDef<never>, replayQueue as QueueDef<never>, importQueue as QueueDef<never>];
