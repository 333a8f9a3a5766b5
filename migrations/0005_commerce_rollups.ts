import { sql, type Kysely } from 'kysely';
import { tenantTable } from '../src/platform/migration-helpers.ts';

// Rollups are kept per tenant, store, currency and sales channel. Orders without a store are
// kept under the nil uuid (a real column value, so the unique key and its index stay simple).
// Hourly rows are UTC hours; daily rows are local days of the store's time zone (the tenant's for
// orders without a store), so a daily series never has to re-cut days at read time.

/** Tenant time zone, hourly and daily sales rollups, and each customer's first order. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tenants add column timezone text not null default 'UTC'`.execute(db);
  await sql`alter table customers add column first_order_at timestamptz`.execute(db);
  for (const [table, bucket, type] of [['sales_hourly', 'hour', 'timestamptz'], ['sales_daily', 'day', 'date']] as const) {
    await sql`create table ${sql.id(table)} (
        tenant_id uuid not null references tenants(id) on delete cascade,
        store_id uuid not null,
        currency char(3) not null,
        channel text not null default '',
        ${sql.id(bucket)} ${sql.raw(type)} not null,
        orders integer not null default 0,
        gross numeric(18,4) not null default 0,
        units bigint not null default 0,
        refunds numeric(18,4) not null default 0,
        refund_count integer not null default 0,
        primary key (tenant_id, store_id, ${sql.id(bucket)}, currency, channel)
      )`.execute(db);
    await sql`create index ${sql.id(`${table}_tenant_time`)} on ${sql.id(table)} (tenant_id, ${sql.id(bucket)})`.execute(db);
    await tenantTable(db, table);
  }
  // The refresh of a bucket scans the orders of one store in one hour or day.
  await sql`create index orders_nostore_placed on orders (tenant_id, placed_at) where store_id is null`.execute(db);
  await sql`create index refunds_time on refunds (tenant_id, refunded_at)`.execute(db);
  // Deleting an order cascades to its refunds: found by order id alone.
  await sql`create index refunds_order_id on refunds (order_id)`.execute(db);
}

/** Drops the rollups. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index orders_nostore_placed`.execute(db);
  await sql`drop index refunds_time`.execute(db);
  await sql`drop index refunds_order_id`.execute(db);
  await sql`drop table sales_daily`.execute(db);
  await sql`drop table sales_hourly`.execute(db);
  await sql`alter table customers drop column first_order_at`.execute(db);
  await sql`alter table tenants drop column timezone`.execute(db);
}
