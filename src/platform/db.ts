import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';

/**
 * The database schema as Kysely sees it. Each domain adds its own tables with
 * `declare module '../platform/db.ts' { interface Database { ... } }`, so row types stay in the domain.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Database {}

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;

// int8 and numeric come back as strings by default; counts and sums here fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// Calendar dates stay 'YYYY-MM-DD' strings: a JS Date would shift them by the process's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

/** Opens a pooled Kysely instance on a connection string. */
export function createDb(connectionString: string, max: number, applicationName = 'tideline'): Db {
  const pool = new pg.Pool({ connectionString, max, application_name: applicationName });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

const pools = new WeakMap<Db, pg.Pool>();

/**
 * Runs one statement as a named prepared statement on `db`'s pool, outside any transaction. Kysely
 * sends every statement unnamed, so Postgres parses and plans it each time; for a long statement
 * on a hot path (storing a webhook) that is most of its cost. Each connection prepares it once.
 */
export async function preparedQuery<R extends pg.QueryResultRow>(db: Db, name: string, text: string, values: unknown[]): Promise<R[]> {
  const pool = pools.get(db);
  if (!pool) throw new Error('preparedQuery needs a database opened by createDb');
  const r = await pool.query<R>({ name, text, values });
  return r.rows;
}

/** Whether a database error is a unique violation (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}

/** The connection string of the app role: same server and database, the unprivileged login. */
export function appRoleUrl(ownerUrl: string, password: string | null): string {
  const u = new URL(ownerUrl);
  u.username = APP_ROLE;
  u.password = password ?? '';
  return u.toString();
}

/** The login that serves requests and jobs: no superuser, no BYPASSRLS, owns nothing. */
export const APP_ROLE = 'tideline_app';
