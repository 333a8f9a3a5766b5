/**
 * `npm run migrate -- latest|down|status` (default `latest`): runs the migrations as the owner role on
 * DATABASE_URL, or on the embedded Postgres when it is unset, then prints where each migration stands.
 */
import { allQueues } from '../src/domains.ts';
import { ConfigError, loadConfig, type Config } from '../src/platform/config.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/platform/embedded-postgres.ts';
import { migrate, type MigrateCommand } from '../src/platform/migrate.ts';

const COMMANDS: readonly MigrateCommand[] = ['latest', 'down', 'status'];

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function statusTable(rows: { name: string; executedAt: Date | undefined }[]): string {
  const header = ['migration', 'applied at'] as const;
  const cells = rows.map((r) => [r.name, r.executedAt ? r.executedAt.toISOString() : 'pending'] as const);
  const width = Math.max(header[0].length, ...cells.map((c) => c[0].length));
  return [header, ...cells].map(([name, at]) => `${name.padEnd(width)}  ${at}`).join('\n');
}

const arg = process.argv[2] ?? 'latest';
if (!(COMMANDS as readonly string[]).includes(arg)) fail(`usage: npm run migrate -- ${COMMANDS.join('|')} (got "${arg}")`);
const command = arg as MigrateCommand;

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(`configuration error: ${err.message}`);
  throw err;
}

let embedded: EmbeddedServer | null = null;
let exitCode = 0;
try {
  let ownerUrl = config.databaseUrl;
  let appPassword = config.databaseAppPassword;
  if (!ownerUrl) {
    embedded = await startEmbeddedPostgres(config.embeddedPgDir, config.embeddedPgPort, true);
    ownerUrl = embedded.url;
    // Same fallback as the runtime: the embedded server asks every login, the app role too, for a password.
    appPassword ??= 'tideline_app';
    process.stdout.write(`embedded Postgres in ${config.embeddedPgDir} on port ${config.embeddedPgPort}\n`);
  }
  const { applied, status } = await migrate(ownerUrl, command, allQueues, appPassword);
  if (command === 'latest') process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
  if (command === 'down') process.stdout.write(applied.length ? `rolled back: ${applied.join(', ')}\n` : 'nothing to roll back\n');
  process.stdout.write(`${statusTable(status)}\n`);
} catch (err) {
  exitCode = 1;
  process.stderr.write(`migrate ${command} failed: ${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  // Stopped on failure too: a server left running would hold the data directory and the port.
  if (embedded) await embedded.stop();
}
// Explicit: embedded-postgres hooks `beforeExit` and exits with 0, which would swallow process.exitCode.
process.exit(exitCode);
