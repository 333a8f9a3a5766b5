import { sql } from 'kysely';
import { isUniqueViolation, type Trx } from './db.ts';

/**
 * Runs `fn` under a savepoint. A unique violation rolls back to it and answers null, leaving the
 * transaction usable for another try; any other error propagates. For writes that expect no
 * conflict: a plain INSERT is cheaper than `ON CONFLICT`, and the rare conflict takes the slow path.
 */
export async function unlessUniqueViolation<T>(trx: Trx, fn: () => Promise<T>): Promise<T | null> {
  await sql`savepoint unless_unique_violation`.execute(trx);
  try {
    const value = await fn();
    await sql`release savepoint unless_unique_violation`.execute(trx);
    return value;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await sql`rollback to savepoint unless_unique_violation`.execute(trx);
    return null;
  }
}
