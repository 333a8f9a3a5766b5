import { sql, type RawBuilder } from 'kysely';

/** A column of a set-based write: its Postgres type and how each row gives its value. */
export type ColumnSpec<R> = readonly [type: string, value: (row: R) => unknown];

/**
 * `select * from unnest($1::type[], $2::type[], …)` over rows, one array parameter per column, and
 * the column names in the same order (for `insertInto(t).columns(names).expression(select)`). A
 * VALUES list would bind one parameter per field per row: tens of thousands for a batch, each
 * parsed and planned by Postgres and compiled by Kysely.
 */
export function unnestRows<R, K extends string>(rows: readonly R[], columns: Record<K, ColumnSpec<R>>): { names: K[]; select: RawBuilder<unknown> } {
  const names = Object.keys(columns) as K[];
  const arrays = names.map((n) => {
    const [type, value] = columns[n];
    return sql`${rows.map(value)}::${sql.raw(type)}[]`;
  });
  return { names, select: sql`select * from unnest(${sql.join(arrays)})` };
}
