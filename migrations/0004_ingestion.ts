import { sql, type Kysely } from 'kysely';
import { APP_ROLE } from '../src/platform/db.ts';
import { tenantTable } from '../src/platform/migration-helpers.ts';

const FUNCTIONS = ['ingestion_webhook_source(uuid)'];

/** Sources, the raw event store, dead letters, batch events and imports. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const app = sql.id(APP_ROLE);
  // Secrets are field-encrypted envelopes; during a rotation the previous one stays valid until
  // previous_secret_expires_at.
  await sql`create table sources (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      provider text not null check (provider in ('shopify', 'woocommerce', 'stripe', 'paypal', 'custom')),
      name text not null check (length(name) between 1 and 200),
      status text not null default 'active' check (status in ('active', 'disabled')),
      secret_ciphertext text,
      previous_secret_ciphertext text,
      previous_secret_expires_at timestamptz,
      settings jsonb not null default '{}',
      store_id uuid references stores(id),
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index sources_page on sources (tenant_id, created_at, id)`.execute(db);
  await tenantTable(db, 'sources');

  // The raw store: what a provider sent, byte for byte (encrypted: payloads carry personal data),
  // kept before the 2xx. event_key makes deliveries idempotent per source.
  await sql`create table raw_events (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      source_id uuid not null references sources(id) on delete cascade,
      provider text not null,
      topic text not null,
      event_key text not null,
      provider_event_id text,
      resource_id text,
      headers jsonb not null default '{}',
      content_type text,
      body_ciphertext text not null,
      -- utf8 for text bodies; base64 for the rare body that is not valid UTF-8, so it too round-trips byte for byte.
      body_encoding text not null default 'utf8' check (body_encoding in ('utf8', 'base64')),
      body_bytes integer not null,
      status text not null default 'pending' check (status in ('pending', 'processed', 'ignored', 'failed', 'discarded')),
      status_reason text,
      attempts integer not null default 0,
      received_at timestamptz(3) not null default now(),
      processed_at timestamptz,
      unique (tenant_id, source_id, event_key)
    )`.execute(db);
  await sql`create index raw_events_page on raw_events (tenant_id, received_at, id)`.execute(db);
  await sql`create index raw_events_status on raw_events (tenant_id, status, received_at)`.execute(db);
  await tenantTable(db, 'raw_events');

  await sql`create table dead_letters (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      raw_event_id uuid not null unique references raw_events(id) on delete cascade,
      queue text not null,
      error text not null,
      attempts integer not null,
      status text not null default 'open' check (status in ('open', 'replayed', 'discarded')),
      replay_count integer not null default 0,
      discard_reason text,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz(3) not null default now(),
      replayed_at timestamptz,
      discarded_at timestamptz
    )`.execute(db);
  await sql`create index dead_letters_page on dead_letters (tenant_id, created_at, id)`.execute(db);
  await tenantTable(db, 'dead_letters');

  // The batch events API. Every event has an id (the client's, or one made up on arrival), unique
  // per tenant and kind, so a resent batch writes nothing twice.
  await sql`create table touchpoints (
      tenant_id uuid not null references tenants(id) on delete cascade,
      event_id text not null,
      channel text not null,
      campaign text,
      anonymous_id text,
      customer_ref text,
      occurred_at timestamptz(3) not null,
      received_at timestamptz(3) not null default now(),
      primary key (tenant_id, event_id)
    )`.execute(db);
  await sql`create index touchpoints_time on touchpoints (tenant_id, occurred_at)`.execute(db);
  await tenantTable(db, 'touchpoints');
  await sql`create table conversions (
      tenant_id uuid not null references tenants(id) on delete cascade,
      event_id text not null,
      order_ref text,
      value numeric(18,4),
      currency char(3),
      anonymous_id text,
      customer_ref text,
      occurred_at timestamptz(3) not null,
      received_at timestamptz(3) not null default now(),
      primary key (tenant_id, event_id)
    )`.execute(db);
  await sql`create index conversions_time on conversions (tenant_id, occurred_at)`.execute(db);
  await tenantTable(db, 'conversions');
  await sql`create table metric_points (
      tenant_id uuid not null references tenants(id) on delete cascade,
      event_id text not null,
      series_key text not null,
      occurred_at timestamptz(3) not null,
      value double precision not null,
      received_at timestamptz(3) not null default now(),
      primary key (tenant_id, event_id)
    )`.execute(db);
  await sql`create index metric_points_series on metric_points (tenant_id, series_key, occurred_at)`.execute(db);
  await tenantTable(db, 'metric_points');

  // Bulk imports: the upload is streamed into chunks (durable before the 202), then a job parses them.
  await sql`create table imports (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      kind text not null check (kind in ('sales', 'stores', 'orders')),
      format text not null check (format in ('csv', 'ndjson')),
      status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed')),
      bytes bigint not null default 0,
      rows_read bigint not null default 0,
      rows_written bigint not null default 0,
      rows_rejected bigint not null default 0,
      rejections jsonb not null default '[]',
      error text,
      file_name text,
      created_at timestamptz(3) not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    )`.execute(db);
  await sql`create index imports_page on imports (tenant_id, created_at, id)`.execute(db);
  await tenantTable(db, 'imports');
  await sql`create table import_chunks (
      tenant_id uuid not null references tenants(id) on delete cascade,
      import_id uuid not null references imports(id) on delete cascade,
      seq integer not null,
      data bytea not null,
      primary key (import_id, seq)
    )`.execute(db);
  await tenantTable(db, 'import_chunks');

  // A webhook names its source, not its tenant: this one lookup finds both, before any tenant is known.
  await sql`create function ingestion_webhook_source(p_id uuid)
      returns table (tenant_id uuid, provider text, status text, secret_ciphertext text, previous_secret_ciphertext text,
                     previous_secret_expires_at timestamptz, settings jsonb)
      language sql stable security definer set search_path = public, pg_temp as $$
        select tenant_id, provider, status, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at, settings
        from sources where id = p_id
      $$`.execute(db);
  for (const fn of FUNCTIONS) {
    await sql`revoke all on function ${sql.raw(fn)} from public`.execute(db);
    await sql`grant execute on function ${sql.raw(fn)} to ${app}`.execute(db);
  }
}

/** Drops the ingestion tables and lookup. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const fn of FUNCTIONS) await sql`drop function ${sql.raw(fn)}`.execute(db);
  for (const t of ['import_chunks', 'imports', 'metric_points', 'conversions', 'touchpoints', 'dead_letters', 'raw_events', 'sources']) {
    await sql`drop table ${sql.id(t)}`.execute(db);
  }
}
