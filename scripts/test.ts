/**
 * Runs the mocha suite against a database of its own: a fresh database on the server that
 * TEST_DATABASE_URL or DATABASE_URL names (dropped afterwards), or an ephemeral embedded Postgres.
 * Ends with one line: "N passed, N failed[, N skipped]".
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Mocha from 'mocha';
import { createDatabase, dropDatabase, openScratchServer } from './lib/scratch-database.ts';

const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || null;
const server = await openScratchServer(serverUrl, 'tideline-test-');
const dbName = `tideline_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
process.env.DATABASE_URL = await createDatabase(server, dbName);
process.env.TEST_DATABASE_NAME = dbName;
if (server.embedded) process.env.DATABASE_APP_PASSWORD ??= 'tideline_app';
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
  await dropDatabase(server, dbName).catch((err: unknown) => console.error('could not drop test database', err));
  await server.stop();
}
process.exit(failures > 0 ? 1 : 0);
