import { sql } from 'kysely';
import type { Db, Trx } from '../db.ts';
import { withTenant } from '../tenancy.ts';
import { DecryptError, ENVELOPE_VERSION } from './envelope.ts';
import type { FieldCipher } from './field-cipher.ts';

/**
 * A column holding field envelopes. `table` is both the SQL name and the AAD table; the AAD
 * column is `aadColumn` when the SQL column is named otherwise (`email_ciphertext` holds `email`).
 * `tenantColumn` null: the table has no tenant column (accounts), row-level security alone picks
 * the tenant's rows, and the AAD tenant is `aadTenantId` (a fixed one) instead of the row's.
 */
export type EncryptedColumn = { table: string; column: string; idColumn: string; tenantColumn: string | null; aadColumn?: string; aadTenantId?: string };

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
  // The tenant filter repeats what row-level security enforces, so the batch is right on any connection.
  const ofTenant = column.tenantColumn === null ? sql`true` : sql`${sql.ref(column.tenantColumn)} = ${tenantId}`;
  const current = `${ENVELOPE_VERSION}.${likeLiteral(cipher.activeKeyId)}.%`;
  // FOR UPDATE: a user's write between this select and our update is not overwritten with the old
  // value; SKIP LOCKED: parallel batches take different rows instead of queueing behind each other.
  const rows = await sql<{ id: unknown; envelope: string }>`
    select ${id} as id, ${value} as envelope from ${table}
    where ${ofTenant} and ${value} is not null and ${value} not like ${current}
    order by ${id} limit ${limit} for update skip locked`.execute(trx);
  const ctx = { tenantId: column.aadTenantId ?? tenantId, table: column.table, column: column.aadColumn ?? column.column };
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
    const r = await sql`update ${table} set ${value} = ${next} where ${ofTenant} and ${id} = ${row.id}`.execute(trx);
    changed += Number(r.numAffectedRows ?? 0n);
  }
  return changed;
}

/** What one tenant's re-encryption changed, per `table.column`. */
export type ReencryptReport = Record<string, number>;

/**
 * Moves every value of one tenant in `columns` onto the active key, `batch` rows per transaction
 * (short transactions: live writes wait on a batch's row locks, never on the whole table).
 */
export async function reencryptTenant(db: Db, cipher: FieldCipher, tenantId: string, columns: readonly EncryptedColumn[], batch = 500): Promise<ReencryptReport> {
  const report: ReencryptReport = {};
  for (const c of columns) {
    let total = 0;
    for (;;) {
      const n = await withTenant(db, tenantId, (trx) => reencryptBatch(trx, cipher, c, tenantId, batch));
      total += n;
      if (n < batch) break;
    }
    report[`${c.table}.${c.column}`] = total;
  }
  return report;
}
