import { sql } from 'kysely';
import type { Trx } from '../db.ts';
import { DecryptError, ENVELOPE_VERSION } from './envelope.ts';
import type { FieldCipher } from './field-cipher.ts';

/**
 * A column holding field envelopes. `table` and `column` are both the SQL names and the AAD the
 * values were encrypted with, so a domain must encrypt with exactly these names (unqualified table).
 */
export type EncryptedColumn = { table: string; column: string; idColumn: string; tenantColumn: string };

// In LIKE, `_` (allowed in key ids) matches any character: escape it, or `v1.k_1.%` would also
// match a key named `kx1` and leave its rows behind.
function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, '\\$&');
}

/**
 * Moves up to `limit` of one tenant's values in `column` onto the active key, inside the caller's
 * tenant-scoped transaction; returns how many rows changed (0 means the column is done for the tenant).
 */
export async function reencryptBatch(trx: Trx, cipher: FieldCipher, column: EncryptedColumn, tenantId: string, limit: number): Promise<number> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('reencryptBatch needs a positive integer limit');
  const table = sql.table(column.table);
  const value = sql.ref(column.column);
  const id = sql.ref(column.idColumn);
  const tenant = sql.ref(column.tenantColumn);
  const current = `${ENVELOPE_VERSION}.${likeLiteral(cipher.activeKeyId)}.%`;
  // FOR UPDATE: a user's write between this select and our update is not overwritten with the old
  // value; SKIP LOCKED: parallel batches take different rows instead of queueing behind each other.
  // The tenant filter repeats what row-level security enforces, so the batch is right on any connection.
  const rows = await sql<{ id: unknown; envelope: string }>`
    select ${id} as id, ${value} as envelope from ${table}
    where ${tenant} = ${tenantId} and ${value} is not null and ${value} not like ${current}
    order by ${id} limit ${limit} for update skip locked`.execute(trx);
  const ctx = { tenantId, table: column.table, column: column.column };
  let changed = 0;
  // One update per row: the id column's type is unknown here, and a batch is small.
  for (const row of rows.rows) {
    let next: string;
    try {
      next = cipher.reencrypt(row.envelope, ctx);
    } catch (err) {
      // Name the row (never its value) so the job's failure points at what to repair.
      if (err instanceof DecryptError) throw new DecryptError(err.reason, `${column.table}.${column.column} row ${String(row.id)}: ${err.message}`);
      throw err;
    }
    const r = await sql`update ${table} set ${value} = ${next} where ${tenant} = ${tenantId} and ${id} = ${row.id}`.execute(trx);
    changed += Number(r.numAffectedRows ?? 0n);
  }
  return changed;
}
