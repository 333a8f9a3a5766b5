/**
 * Uploads a bulk import file to a Tideline API and follows it to the end:
 *
 *   node scripts/import.ts <file> --kind sales|stores|orders [--url http://127.0.0.1:3000]
 *     [--api-key tl_live_... | env TIDELINE_API_KEY] [--token JWT | env TIDELINE_TOKEN]
 *     [--format csv|ndjson] [--no-wait]
 *
 * The file streams from disk as the request body (never read whole: the socket's pace sets the
 * read pace) with a progress bar on stderr. Then, unless --no-wait, the import's status is polled
 * every second until it succeeds or fails, and the summary with the first rejections goes to
 * stdout as JSON. Exits 0 on success (or once queued, with --no-wait), 1 on a failed import or an
 * HTTP error, 2 on bad arguments.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import type { components } from '../generated/api.ts';

type Import = components['schemas']['Import'];
type Kind = Import['kind'];
type Format = Import['format'];

const USAGE =
  'usage: node scripts/import.ts <file> --kind sales|stores|orders [--url http://127.0.0.1:3000] [--api-key KEY | --token JWT] [--format csv|ndjson] [--no-wait]';
const KINDS: readonly Kind[] = ['sales', 'stores', 'orders'];
const CONTENT_TYPES: Record<Format, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson' };
const FORMAT_BY_EXTENSION: Record<string, Format> = { '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson' };
const POLL_MS = 1000;
// A server restarting mid-import should not end the wait; this many failed polls in a row does.
const MAX_POLL_FAILURES = 5;
const SHOWN_REJECTIONS = 10;
// Answers are an import's JSON or a problem document: small. More is not an answer we can use.
const MAX_REPLY_BYTES = 1024 * 1024;

interface Options {
  file: string;
  size: number;
  kind: Kind;
  format: Format;
  base: URL;
  auth: Record<string, string>;
  wait: boolean;
}

interface Reply {
  status: number;
  body: string;
}

// Bad command-line arguments: exit 2 with the usage line.
class UsageError extends Error {}

// The server said no: the answer is printed as a problem.
class HttpError extends Error {
  readonly reply: Reply;

  constructor(reply: Reply) {
    super(`HTTP ${reply.status}`);
    this.reply = reply;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

// A flag wins over the environment; --api-key and --token together is ambiguous, so refused.
function credentials(apiKey: string | undefined, token: string | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  if (apiKey !== undefined && token !== undefined) throw new UsageError('give --api-key or --token, not both');
  const key = apiKey ?? (token === undefined ? env.TIDELINE_API_KEY : undefined);
  if (key) return { 'x-api-key': key };
  const jwt = token ?? env.TIDELINE_TOKEN;
  if (jwt) return { authorization: `Bearer ${jwt}` };
  throw new UsageError('no credentials: pass --api-key (or set TIDELINE_API_KEY) or --token (or set TIDELINE_TOKEN)');
}

async function fileSize(file: string): Promise<number> {
  const info = await stat(file).catch((err: unknown) => {
    throw new UsageError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  });
  if (!info.isFile()) throw new UsageError(`${file}: not a file`);
  return info.size;
}

// The command line as options; null for --help. Throws UsageError.
async function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Options | null> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        kind: { type: 'string' },
        url: { type: 'string', default: 'http://127.0.0.1:3000' },
        'api-key': { type: 'string' },
        token: { type: 'string' },
        format: { type: 'string' },
        'no-wait': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) throw new UsageError(file === undefined ? 'no file given' : 'give one file');
  const kind = KINDS.find((k) => k === values.kind);
  if (!kind) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}`);
  const extension = path.extname(file).toLowerCase();
  const format = values.format === undefined ? FORMAT_BY_EXTENSION[extension] : (['csv', 'ndjson'] as const).find((f) => f === values.format);
  if (!format) throw new UsageError(values.format === undefined ? `cannot tell the format of a "${extension}" file: pass --format csv|ndjson` : '--format must be csv or ndjson');
  let base: URL;
  try {
    base = new URL(values.url);
  } catch {
    throw new UsageError(`--url is not a URL: ${values.url}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new UsageError('--url must be http or https');
  const auth = credentials(values['api-key'], values.token, env);
  return { file, size: await fileSize(file), kind, format, base, auth, wait: !values['no-wait'] };
}

// An API route under the base URL, keeping any path prefix the base has (a reverse proxy's).
function apiUrl(base: URL, route: string, query: Record<string, string> = {}): URL {
  const url = new URL(`${base.pathname.replace(/\/+$/, '')}/api/v1/${route}`, base);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url;
}

async function readReply(res: IncomingMessage): Promise<Reply> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REPLY_BYTES) throw new Error(`the answer is larger than ${MAX_REPLY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
}

/**
 * One HTTP exchange; `body` streams with backpressure. An early answer (401, 413) wins over the
 * upload error that follows when the server closes the socket on the rest of the body.
 */
function send(url: URL, method: 'GET' | 'POST', headers: Record<string, string | number>, body?: Readable): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method, headers: { accept: 'application/json', ...headers } }, (res) => {
      answered = true;
      readReply(res).then(resolve, reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (body) {
      // A file read error destroys the request with it, which the 'error' handler above reports.
      pipeline(body, req).catch(() => {});
    } else {
      req.end();
    }
  });
}

function importOf(reply: Reply): Import {
  let value: unknown;
  try {
    value = JSON.parse(reply.body);
  } catch {
    throw new HttpError(reply);
  }
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.status !== 'string') throw new HttpError(reply);
  return value as Import;
}

async function upload(o: Options): Promise<Import> {
  const url = apiUrl(o.base, 'imports', { kind: o.kind, file_name: path.basename(o.file) });
  const bar = new SingleBar(
    { format: 'upload [{bar}] {percentage}% | {sent}/{total_mib} MiB | ETA {eta_formatted}', hideCursor: true, stream: process.stderr },
    Presets.shades_classic,
  );
  bar.start(o.size, 0, { sent: mib(0), total_mib: mib(o.size) });
  const file = createReadStream(o.file);
  let sent = 0;
  // Bytes read from disk; with backpressure that is what the socket took, give or take one buffer.
  file.on('data', (chunk) => {
    sent += chunk.length;
    bar.update(sent, { sent: mib(sent) });
  });
  try {
    const reply = await send(url, 'POST', { ...o.auth, 'content-type': CONTENT_TYPES[o.format], 'content-length': o.size }, file);
    if (reply.status !== 202) throw new HttpError(reply);
    return importOf(reply);
  } finally {
    bar.stop();
    file.destroy();
  }
}

const progress = (i: Import) => ({ state: i.status, read: i.rows_read, written: i.rows_written, rejected: i.rows_rejected });

async function follow(o: Options, first: Import): Promise<Import> {
  const url = apiUrl(o.base, `imports/${encodeURIComponent(first.id)}`);
  const bar = new SingleBar({ format: 'import {state} | rows read {read} | written {written} | rejected {rejected}', stream: process.stderr });
  bar.start(1, 0, progress(first));
  let current = first;
  let failures = 0;
  try {
    while (current.status !== 'succeeded' && current.status !== 'failed') {
      await sleep(POLL_MS);
      const reply = await send(url, 'GET', o.auth).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      failures = reply instanceof Error || reply.status >= 500 ? failures + 1 : 0;
      if (failures > 0 && failures < MAX_POLL_FAILURES) continue;
      if (reply instanceof Error) throw reply;
      if (reply.status !== 200) throw new HttpError(reply);
      current = importOf(reply);
      bar.update(0, progress(current));
    }
  } finally {
    bar.stop();
  }
  return current;
}

// A problem+json answer as its detail and field errors; any other answer as its start.
function describe(reply: Reply): string {
  let problem: unknown;
  try {
    problem = JSON.parse(reply.body);
  } catch {
    problem = null;
  }
  if (!isRecord(problem) || typeof problem.detail !== 'string') return `HTTP ${reply.status}: ${reply.body.slice(0, 500) || '(no body)'}`;
  const lines = [`HTTP ${reply.status}: ${problem.detail}`];
  for (const e of Array.isArray(problem.errors) ? (problem.errors as unknown[]) : []) {
    if (isRecord(e)) lines.push(`  ${String(e.name)}: ${String(e.reason)}`);
  }
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  let options: Options | null;
  try {
    options = await readOptions(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    let result = await upload(options);
    if (options.wait) result = await follow(options, result);
    process.stdout.write(`${JSON.stringify({ ...result, rejections: result.rejections.slice(0, SHOWN_REJECTIONS) }, null, 2)}\n`);
    if (result.status !== 'failed') return 0;
    process.stderr.write(`import failed: ${result.error ?? 'no reason given'}\n`);
    return 1;
  } catch (err) {
    process.stderr.write(`${err instanceof HttpError ? describe(err.reply) : err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

// Explicit exit, as every script here: a lingering socket or timer must not keep the process up.
process.exit(await main(process.argv.slice(2)));
