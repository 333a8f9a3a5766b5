import { sql, type Kysely } from 'kysely';
import { APP_ROLE } from '../src/platform/db.ts';
import { tenantTable } from '../src/platform/migration-helpers.ts';

/** The app role, tenants, and the first tenant-owned table (idempotency keys). */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Roles are cluster-wide: several databases on one server (parallel test runs) share this one,
  // and two migrations racing to create it must both succeed.
  await sql`do $$ begin
      create role ${sql.id(APP_ROLE)} login nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
    exception when duplicate_object or unique_violation then null;
    end $$`.execute(db);
  await sql`grant usage on schema public to ${sql.id(APP_ROLE)}`.execute(db);

  await sql`create table tenants (
      id uuid primary key default gen_random_uuid(),
      slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz not null default now()
    )`.execute(db);
  await tenantTable(db, 'tenants', 'select, insert, update', 'id');

  await sql`create table idempotency_keys (
      tenant_id uuid not null references tenants(id) on delete cascade,
      principal text not null,
      key text not null,
      operation text not null,
      request_hash text not null,
      state text not null check (state in ('in_flight', 'completed')),
      response_status int,
      response_body jsonb,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      primary key (tenant_id, principal, key)
    )`.execute(db);
  await sql`create index idempotency_keys_expiry on idempotency_keys (tenant_id, expires_at)`.execute(db);
  await tenantTable(db, 'idempotency_keys');
}

/** Drops what `up` made; the cluster-wide role stays, other databases may use it. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table idempotency_keys`.execute(db);
  await sql`drop table tenants`.execute(db);
  await sql`revoke usage on schema public from ${sql.id(APP_ROLE)}`.execute(db);
}
