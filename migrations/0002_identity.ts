import { sql, type Kysely } from 'kysely';
import { APP_ROLE } from '../src/platform/db.ts';
import { tenantTable } from '../src/platform/migration-helpers.ts';

const TENANT = sql.raw(`(select nullif(current_setting('app.tenant_id', true), '')::uuid)`);

const FUNCTIONS = ['identity_login_candidates(text, text)', 'identity_account_by_email(text)', 'identity_tenant_by_slug(text)', 'identity_api_key_by_hash(text)', 'identity_memberships_of(uuid)'];

// Keyset pages carry timestamps through JSON at millisecond precision, so the columns they
// order by are stored at that precision too: a cursor then names a row exactly.

/** Users (global accounts), memberships, tokens, API keys, the audit log, and the few cross-tenant lookups. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const app = sql.id(APP_ROLE);
  // An account can belong to several tenants, so it has no tenant_id; it is visible to a tenant
  // only through a membership there. Creating one is allowed (it is invisible until a membership exists).
  await sql`create table users (
      id uuid primary key,
      email_ciphertext text not null,
      email_index text not null unique,
      username text unique check (username ~ '^[a-z0-9_.-]{3,64}$'),
      name text,
      password_hash text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      last_login_at timestamptz
    )`.execute(db);
  await sql`create table memberships (
      tenant_id uuid not null references tenants(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      role text not null check (role in ('admin', 'analyst', 'viewer')),
      disabled_at timestamptz,
      tokens_valid_after timestamptz not null default 'epoch',
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, user_id)
    )`.execute(db);
  await sql`create index memberships_page on memberships (tenant_id, created_at, user_id)`.execute(db);
  await sql`create index memberships_user on memberships (user_id)`.execute(db);
  await tenantTable(db, 'memberships');

  await sql`alter table users enable row level security`.execute(db);
  await sql`alter table users force row level security`.execute(db);
  const member = sql`exists (select 1 from memberships m where m.user_id = users.id and m.tenant_id = ${TENANT})`;
  await sql`create policy users_of_tenant on users for select using (${member})`.execute(db);
  await sql`create policy users_update on users for update using (${member}) with check (${member})`.execute(db);
  await sql`create policy users_delete on users for delete using (${member})`.execute(db);
  await sql`create policy users_create on users for insert with check (true)`.execute(db);
  await sql`grant select, insert, update, delete on users to ${app}`.execute(db);

  await sql`create table refresh_tokens (
      tenant_id uuid not null references tenants(id) on delete cascade,
      id uuid not null,
      family_id uuid not null,
      user_id uuid not null references users(id) on delete cascade,
      token_hash text not null,
      parent_id uuid,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      rotated_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text,
      primary key (tenant_id, id),
      unique (tenant_id, token_hash)
    )`.execute(db);
  await sql`create index refresh_tokens_family on refresh_tokens (tenant_id, family_id)`.execute(db);
  await tenantTable(db, 'refresh_tokens');

  await sql`create table revoked_tokens (
      tenant_id uuid not null references tenants(id) on delete cascade,
      jti uuid not null,
      expires_at timestamptz not null,
      revoked_at timestamptz not null default now(),
      primary key (tenant_id, jti)
    )`.execute(db);
  await tenantTable(db, 'revoked_tokens', 'select, insert, delete');

  await sql`create table api_keys (
      tenant_id uuid not null references tenants(id) on delete cascade,
      id uuid not null,
      name text not null,
      prefix text not null,
      last_four text not null,
      key_hash text not null unique,
      scopes text[] not null,
      created_by uuid,
      created_at timestamptz(3) not null default now(),
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index api_keys_page on api_keys (tenant_id, created_at, id)`.execute(db);
  await tenantTable(db, 'api_keys');

  // Append-only: the app role may read and add, never change or remove.
  await sql`create table audit_events (
      tenant_id uuid not null references tenants(id) on delete cascade,
      id uuid not null default gen_random_uuid(),
      occurred_at timestamptz(3) not null default clock_timestamp(),
      action text not null,
      actor_type text not null check (actor_type in ('user', 'api_key', 'system', 'anonymous')),
      actor_id uuid,
      target_type text,
      target_id text,
      ip text,
      user_agent text,
      request_id text,
      details jsonb not null default '{}',
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index audit_events_page on audit_events (tenant_id, occurred_at desc, id desc)`.execute(db);
  await tenantTable(db, 'audit_events', 'select, insert');

  // The narrow cross-tenant lookups: credentials arrive before any tenant is known. Each returns only
  // what its caller needs and runs as the owner; nothing else in the app reads across tenants.
  await sql`create function identity_login_candidates(p_email_index text, p_username text)
      returns table (user_id uuid, password_hash text, tenant_id uuid, tenant_slug text, tenant_name text, role text, disabled boolean)
      language sql stable security definer set search_path = public, pg_temp as $$
        select u.id, u.password_hash, t.id, t.slug, t.name, m.role, m.disabled_at is not null
        from users u join memberships m on m.user_id = u.id join tenants t on t.id = m.tenant_id
        where u.email_index = p_email_index or (p_username is not null and u.username = p_username)
        order by m.created_at
      $$`.execute(db);
  await sql`create function identity_account_by_email(p_email_index text)
      returns table (user_id uuid, password_hash text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select id, password_hash from users where email_index = p_email_index
      $$`.execute(db);
  await sql`create function identity_tenant_by_slug(p_slug text) returns uuid
      language sql stable security definer set search_path = public, pg_temp as $$
        select id from tenants where slug = p_slug
      $$`.execute(db);
  await sql`create function identity_api_key_by_hash(p_hash text)
      returns table (tenant_id uuid, id uuid, scopes text[], expires_at timestamptz, revoked_at timestamptz)
      language sql stable security definer set search_path = public, pg_temp as $$
        select tenant_id, id, scopes, expires_at, revoked_at from api_keys where key_hash = p_hash
      $$`.execute(db);
  await sql`create function identity_memberships_of(p_user uuid)
      returns table (tenant_id uuid, tenant_slug text, role text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select t.id, t.slug, m.role from memberships m join tenants t on t.id = m.tenant_id
        where m.user_id = p_user and m.disabled_at is null order by m.created_at
      $$`.execute(db);
  for (const fn of FUNCTIONS) {
    await sql`revoke all on function ${sql.raw(fn)} from public`.execute(db);
    await sql`grant execute on function ${sql.raw(fn)} to ${app}`.execute(db);
  }
}

/** Drops the identity tables and lookups. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const fn of FUNCTIONS) {
    await sql`drop function ${sql.raw(fn)}`.execute(db);
  }
  for (const t of ['audit_events', 'api_keys', 'revoked_tokens', 'refresh_tokens', 'memberships', 'users']) {
    await sql`drop table ${sql.id(t)}`.execute(db);
  }
}
