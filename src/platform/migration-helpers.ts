import { sql, type Kysely } from 'kysely';
import { APP_ROLE } from './db.ts';

const TENANT = sql.raw(`(select nullif(current_setting('app.tenant_id', true), '')::uuid)`);

/**
 * Puts a tenant-owned table under row-level security (enabled and forced, so not even its owner
 * reads across tenants) and grants the app role the listed privileges on it.
 */
export async function tenantTable(
  db: Kysely<unknown>,
  table: string,
  privileges: string = 'select, insert, update, delete',
  column: string = 'tenant_id',
): Promise<void> {
  const t = sql.id(table);
  await sql`alter table ${t} enable row level security`.execute(db);
  await sql`alter table ${t} force row level security`.execute(db);
  await sql`create policy tenant_isolation on ${t} using (${sql.id(column)} = ${TENANT}) with check (${sql.id(column)} = ${TENANT})`.execute(db);
  await sql`grant ${sql.raw(privileges)} on ${t} to ${sql.id(APP_ROLE)}`.execute(db);
}
