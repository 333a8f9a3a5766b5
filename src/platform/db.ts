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
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
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
