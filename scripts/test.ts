/**
 * Runs the mocha suite against a database of its own: a fresh database on the server that
 * TEST_DATABASE_URL or DATABASE_URL names (dropped afterwards), or an ephemeral embedded Postgres.
 * Ends with one line: "N passed, N failed[, N skipped]".
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Mocha from 'mocha';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/platform/embedded-postgres.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function adminQuery(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || null;
let embedded: EmbeddedServer | null = null;
let embeddedDir: string | null = null;
let base: string;
if (serverUrl) {
  base = serverUrl;
} else {
  embeddedDir = await mkdtemp(path.join(tmpdir(), 'tideline-test-'));
  // mkdtemp makes it 0700; run as root, Postgres runs as its own user and must reach inside.
  await chmod(embeddedDir, 0o755);
  embedded = await startEmbeddedPostgres(path.join(embeddedDir, 'pg'), await freePort(), false);
  base = embedded.url;
}
const dbName = `tideline_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
await adminQuery(base, `create database ${dbName}`);
const testUrl = new URL(base);
testUrl.pathname = `/${dbName}`;
process.env.DATABASE_URL = testUrl.toString();
process.env.TEST_DATABASE_NAME = dbName;
if (embedded) process.env.DATABASE_APP_PASSWORD ??= 'tideline_app';
process.env.NODE_ENV = 'test';

let failures = 1;
try {
  const mocha = new Mocha({ timeout: 30_000, slow: 2000, reporter: 'spec' });
  const { glob } = await import('node:fs/promises');
  const args = process.argv.slice(2);
  const patterns = args.length > 0 ? args : ['tests/**/*.test.ts'];
  const files = new Set<string>();
  for (const p of patterns) {
    for await (const f of glob(p.endsWith('.ts') ? p : `${p.replace(/\/$/, '')}/**/*.test.ts`)) files.add(path.resolve(f));
  }
  mocha.addFile(path.resolve('tests/helpers/hooks.ts'));
  for (const f of [...files].sort()) mocha.addFile(f);
  await mocha.loadFilesAsync();
  const counts = { passed: 0, failed: 0, skipped: 0 };
  failures = await new Promise<number>((resolve) => {
    const runner = mocha.run((n) => resolve(n));
    runner.on('pass', () => counts.passed++);
    runner.on('fail', () => counts.failed++);
    runner.on('pending', () => counts.skipped++);
  });
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
  console.log(`\n${counts.passed} passed, ${counts.failed} failed${skipped}`);
} finally {
  await adminQuery(base, `drop database if exists ${dbName} with (force)`).catch((err: unknown) => console.error('could not drop test database', err));
  if (embedded) await embedded.stop();
  if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
}
process.exit(failures > 0 ? 1 : 0);
