/**
 * The import under test: the CSV file streamed as the body of `POST /imports?kind=orders` (as
 * scripts/import.ts does it), then `GET /imports/{id}` polled until the job has written every row.
 */
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { components } from '../../../generated/api.ts';
import { apiJson } from '../lib/api.ts';
import type { Child } from '../lib/children.ts';

type Import = components['schemas']['Import'];

const POLL_MS = 250;
const PROGRESS_EVERY_MS = 30_000;

/** How long the upload and the whole import took, what the job reported, and its progress over time. */
export interface ImportTiming {
  uploadMs: number;
  totalMs: number;
  final: Import;
  /** Rows written by each poll, ms since the upload started. */
  progress: { ms: number; rows: number }[];
}

/** Rows/s over each quarter of the rows (from the polls): whether the import slows as the tables grow. */
export function quarterRates(t: ImportTiming, rows: number): number[] {
  const at = (target: number) => t.progress.find((p) => p.rows >= target) ?? { ms: t.totalMs, rows };
  const marks = [{ ms: t.uploadMs, rows: 0 }, at(rows / 4), at(rows / 2), at((3 * rows) / 4), { ms: t.totalMs, rows }];
  return marks.slice(1).map((m, i) => {
    const prev = marks[i] as { ms: number; rows: number };
    return (m.rows - prev.rows) / ((m.ms - prev.ms) / 1000);
  });
}

// Streams the file with backpressure; answers the status and body of the reply.
function upload(url: string, apiKey: string, file: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'text/csv', 'content-length': size, accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    pipeline(createReadStream(file), req).catch(reject);
  });
}

/** Uploads `file` as an orders import and waits for it to succeed; fails on a rejection, a failure or the server dying. */
export async function importOrders(api: string, apiKey: string, file: { path: string; rows: number; bytes: number }, server: Child): Promise<ImportTiming> {
  const started = performance.now();
  const reply = await upload(`${api}/imports?kind=orders&file_name=${encodeURIComponent(path.basename(file.path))}`, apiKey, file.path, file.bytes);
  if (reply.status !== 202) throw new Error(`import upload: expected 202, got ${reply.status}: ${reply.body.slice(0, 500)}`);
  const uploadMs = performance.now() - started;
  let current = JSON.parse(reply.body) as Import;
  let lastReport = performance.now();
  const progress: ImportTiming['progress'] = [];
  while (current.status !== 'succeeded' && current.status !== 'failed') {
    if (server.hasExited()) throw new Error(`Tideline exited during the import:\n${server.output()}`);
    await sleep(POLL_MS);
    const r = await apiJson(api, 'GET', `/imports/${current.id}`, { apiKey });
    if (r.status !== 200) throw new Error(`import status: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
    current = r.body as unknown as Import;
    progress.push({ ms: performance.now() - started, rows: current.rows_written });
    if (performance.now() - lastReport > PROGRESS_EVERY_MS) {
      lastReport = performance.now();
      const s = (lastReport - started) / 1000;
      process.stderr.write(`  import: ${current.rows_written.toLocaleString('en-US')} of ${file.rows.toLocaleString('en-US')} rows written after ${s.toFixed(0)} s\n`);
    }
  }
  const totalMs = performance.now() - started;
  if (current.status === 'failed') throw new Error(`import failed: ${current.error ?? 'no reason given'}`);
  if (current.rows_rejected > 0) throw new Error(`import rejected ${current.rows_rejected} rows, first: ${JSON.stringify(current.rejections.slice(0, 3))}`);
  if (current.rows_written !== file.rows) throw new Error(`import wrote ${current.rows_written} rows, expected ${file.rows}`);
  return { uploadMs, totalMs, final: current, progress };
}
