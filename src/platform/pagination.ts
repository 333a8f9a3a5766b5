import { sql, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { badRequest } from './errors.ts';

/** A keyset position: the sort timestamp and id of the last row of the previous page. */
export interface Cursor {
  at: string;
  id: string;
}

/** Encodes the position after `row` as an opaque cursor. */
export function encodeCursor(at: Date | string, id: string): string {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return Buffer.from(JSON.stringify([iso, id])).toString('base64url');
}

// What encodeCursor writes from a Date (years 0001-9999, which Postgres also holds) and a uuid id.
// A cursor is client input: anything else would reach the keyset query and fail there as a 500.
const CURSOR_AT = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Decodes a cursor from `?cursor=`; a malformed one is a 400 naming the parameter. Ids are uuids unless `id` says otherwise. */
export function decodeCursor(cursor: string | undefined, id: RegExp = UUID): Cursor | null {
  if (cursor === undefined) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && CURSOR_AT.test(v[0]) && !Number.isNaN(Date.parse(v[0])) && id.test(v[1])) {
      return { at: v[0], id: v[1] };
    }
  } catch {
    // fall through to the 400
  }
  throw badRequest('The cursor is not one this API issued.', [{ name: 'query.cursor', reason: 'is malformed' }]);
}

/** Cuts a page fetched with limit + 1 rows and computes its next cursor. */
export function page<T>(rows: T[], limit: number, key: (row: T) => [Date | string, string]): { items: T[]; next: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last ? encodeCursor(...key(last)) : null };
}

/** The keyset condition for a newest-first page: rows strictly before the cursor's (time, id). */
function before(cursor: Cursor, atColumn: string, idColumn: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.ref(atColumn)}, ${sql.ref(idColumn)}) < (${new Date(cursor.at)}, ${cursor.id}::uuid)`;
}

/**
 * One newest-first keyset page, for `query.$call(...)`: ordered by (time, id) descending, after the
 * cursor, one row more than the limit so `page` can tell whether another page follows.
 */
export function newestFirst(after: Cursor | null, limit: number, atColumn: string, idColumn: string) {
  return <DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> => {
    const ordered = q.orderBy(sql.ref(atColumn), 'desc').orderBy(sql.ref(idColumn), 'desc').limit(limit + 1);
    return after ? ordered.where(before(after, atColumn, idColumn)) : ordered;
  };
}
