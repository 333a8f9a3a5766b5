import { sql, type Kysely } from 'kysely';

// Orders, their lines and customers are written in bulk (imports write 2,000 per transaction).
// With random (v4) ids, every insert lands on a random page of the primary key, and for lines
// of the (order_id, position) and (tenant_id, order_id) indexes too: once those indexes outgrow
// shared_buffers, each row reads and dirties pages of its own. UUIDv7 ids (RFC 9562: 48 bits of
// Unix milliseconds, then random bits) are still unique and unguessable enough for ids that RLS,
// not secrecy, protects, and new ones sort after old ones, so inserts touch the rightmost pages.
const TABLES = ['orders', 'order_lines', 'customers'] as const;

/** A UUIDv7 generator (Postgres 15 has none built in) as the id default of orders, order lines and customers. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create function time_ordered_uuid() returns uuid language sql volatile parallel safe as $$
      select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
    $$`.execute(db);
  for (const t of TABLES) await sql`alter table ${sql.id(t)} alter column id set default time_ordered_uuid()`.execute(db);
}

/** Back to random ids. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of TABLES) await sql`alter table ${sql.id(t)} alter column id set default gen_random_uuid()`.execute(db);
  await sql`drop function time_ordered_uuid()`.execute(db);
}
