import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, Migrator, type MigrationResultSet } from 'kysely/migration';
import { sql } from 'kysely';
import { APP_ROLE, createDb, type Db } from './db.ts';
import { installJobs, type QueueDef } from './jobs.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
export const MIGRATION_TABLE = 'kysely_migration';

function migrator(db: Db): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }),
  });
}

export type MigrateCommand = 'latest' | 'down' | 'status';

/** The names of the migration files, in order. */
export async function migrationNames(): Promise<string[]> {
  const files = await fs.readdir(MIGRATIONS_DIR);
  return files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
}

function check(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const e = new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String((result.error as Error).message ?? result.error)}`);
    e.cause = result.error;
    throw e;
  }
  return result;
}

/**
 * Runs as the owner role: applies migrations, installs the job schema and queues, lets the app
 * role read the migration table (readiness checks it) and, when given, sets the app role's password.
 */
export async function migrate(
  ownerUrl: string,
  command: MigrateCommand,
  queues: readonly QueueDef<never>[],
  appPassword: string | null,
): Promise<{ applied: string[]; status: { name: string; executedAt: Date | undefined }[] }> {
  const db = createDb(ownerUrl, 2, 'tideline-migrate');
  try {
    const m = migrator(db);
    let applied: string[] = [];
    if (command === 'latest') applied = (check(await m.migrateToLatest()).results ?? []).map((r) => r.migrationName);
    if (command === 'down') applied = (check(await m.migrateDown()).results ?? []).map((r) => r.migrationName);
    if (command === 'latest') {
      await installJobs(ownerUrl, db, queues);
      await sql`grant select on ${sql.table(MIGRATION_TABLE)} to ${sql.id(APP_ROLE)}`.execute(db);
      if (appPassword) await sql`alter role ${sql.id(APP_ROLE)} password ${sql.lit(appPassword)}`.execute(db);
    }
    const status = (await m.getMigrations()).map((x) => ({ name: x.name, executedAt: x.executedAt }));
    return { applied, status };
  } finally {
    await db.destroy();
  }
}

/** Migrations present in the code but not applied to the database (readable by the app role). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  const done = new Set(rows.rows.map((r) => r.name));
  return (await migrationNames()).filter((n) => !done.has(n));
}
