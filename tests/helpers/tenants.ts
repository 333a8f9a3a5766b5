import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Harness } from './harness.ts';

/** Creates a tenant row as the owner (the app creates tenants through sign-up, under its own RLS). */
export async function createTenant(h: Harness, slug = `t-${randomUUID().slice(0, 8)}`): Promise<string> {
  const id = randomUUID();
  await sql`insert into tenants (id, slug, name) values (${id}, ${slug}, ${`Tenant ${slug}`})`.execute(h.owner);
  return id;
}
