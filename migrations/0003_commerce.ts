import { sql, type Kysely } from 'kysely';
import { tenantTable } from '../src/platform/migration-helpers.ts';

// Money is numeric(18,4) (exact; no float ever touches it) with its ISO 4217 currency beside it.
// Rows that come from a provider are unique per tenant, source and the provider's id, so a
// replayed or duplicated delivery updates the same row. `source_id` is null for rows that came
// through the batch events API or an import; NULLS NOT DISTINCT keeps those unique too.
// `provider_updated_at` is the provider's last-modified time: an older update never wins.

/** The canonical commerce model: stores, customers, products, orders with lines, refunds, daily store sales. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table stores (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      external_id text not null check (length(external_id) between 1 and 200),
      name text not null,
      store_type text,
      assortment text,
      timezone text not null default 'UTC',
      currency char(3),
      competition_distance numeric(12,2),
      competition_open_since date,
      promo2 boolean not null default false,
      promo2_since date,
      promo_interval text,
      status text not null default 'open' check (status in ('open', 'closed')),
      created_via text not null check (created_via in ('api', 'import', 'ingestion')),
      archived_at timestamptz,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz not null default now(),
      unique (tenant_id, external_id)
    )`.execute(db);
  await sql`create index stores_page on stores (tenant_id, created_at, id)`.execute(db);
  await tenantTable(db, 'stores');

  await sql`create table customers (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      source_id uuid,
      external_id text not null,
      email_ciphertext text,
      email_index text,
      name_ciphertext text,
      provider_created_at timestamptz,
      provider_updated_at timestamptz not null,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz not null default now(),
      unique nulls not distinct (tenant_id, source_id, external_id)
    )`.execute(db);
  await sql`create index customers_email on customers (tenant_id, email_index)`.execute(db);
  await sql`create index customers_page on customers (tenant_id, created_at, id)`.execute(db);
  await tenantTable(db, 'customers');

  await sql`create table products (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      source_id uuid,
      external_id text not null,
      title text not null,
      sku text,
      price numeric(18,4),
      currency char(3),
      status text,
      provider_updated_at timestamptz not null,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz not null default now(),
      unique nulls not distinct (tenant_id, source_id, external_id)
    )`.execute(db);
  await sql`create index products_page on products (tenant_id, created_at, id)`.execute(db);
  await tenantTable(db, 'products');

  await sql`create table orders (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      source_id uuid,
      external_id text not null,
      order_number text,
      payment_ref text,
      store_id uuid references stores(id),
      customer_id uuid references customers(id),
      channel text,
      currency char(3) not null,
      status text not null check (status in ('pending', 'paid', 'fulfilled', 'cancelled', 'refunded', 'partially_refunded', 'deleted')),
      subtotal numeric(18,4) not null default 0,
      discount_total numeric(18,4) not null default 0,
      tax_total numeric(18,4) not null default 0,
      shipping_total numeric(18,4) not null default 0,
      total numeric(18,4) not null,
      refunded_total numeric(18,4) not null default 0,
      units integer not null default 0,
      placed_at timestamptz(3) not null,
      cancelled_at timestamptz,
      provider_updated_at timestamptz not null,
      -- Known only from a payment so far: a full order fills in its details whenever it arrives.
      payment_only boolean not null default false,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz not null default now(),
      unique nulls not distinct (tenant_id, source_id, external_id)
    )`.execute(db);
  await sql`create index orders_placed on orders (tenant_id, placed_at, id)`.execute(db);
  await sql`create index orders_store_placed on orders (tenant_id, store_id, placed_at)`.execute(db);
  await sql`create index orders_customer on orders (tenant_id, customer_id)`.execute(db);
  await sql`create index orders_payment_ref on orders (tenant_id, source_id, payment_ref) where payment_ref is not null`.execute(db);
  await tenantTable(db, 'orders');

  await sql`create table order_lines (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      order_id uuid not null references orders(id) on delete cascade,
      position integer not null,
      external_id text,
      product_id uuid references products(id),
      sku text,
      title text,
      quantity integer not null,
      unit_price numeric(18,4) not null,
      total numeric(18,4) not null,
      unique (order_id, position)
    )`.execute(db);
  await sql`create index order_lines_tenant on order_lines (tenant_id, order_id)`.execute(db);
  await tenantTable(db, 'order_lines');

  await sql`create table refunds (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      source_id uuid,
      external_id text not null,
      order_id uuid references orders(id) on delete cascade,
      order_external_id text,
      payment_ref text,
      amount numeric(18,4) not null check (amount >= 0),
      currency char(3) not null,
      reason text,
      refunded_at timestamptz(3) not null,
      created_at timestamptz(3) not null default now(),
      unique nulls not distinct (tenant_id, source_id, external_id)
    )`.execute(db);
  await sql`create index refunds_order on refunds (tenant_id, order_id)`.execute(db);
  await sql`create index refunds_unmatched on refunds (tenant_id, source_id) where order_id is null`.execute(db);
  await tenantTable(db, 'refunds');

  // Sales history by store and day (the Rossmann layout): figures a store reports for a day
  // rather than orders one by one.
  await sql`create table store_daily_sales (
      tenant_id uuid not null references tenants(id) on delete cascade,
      store_id uuid not null references stores(id) on delete cascade,
      day date not null,
      day_of_week smallint not null check (day_of_week between 1 and 7),
      sales numeric(18,4) not null check (sales >= 0),
      customers integer not null check (customers >= 0),
      open boolean not null,
      promo boolean not null,
      state_holiday text not null,
      school_holiday boolean not null,
      primary key (tenant_id, store_id, day)
    )`.execute(db);
  await tenantTable(db, 'store_daily_sales');
}

/** Drops the canonical commerce tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['store_daily_sales', 'refunds', 'order_lines', 'orders', 'products', 'customers', 'stores']) {
    await sql`drop table if exists ${sql.id(t)}`.execute(db);
  }
}
