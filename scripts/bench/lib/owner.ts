/** Direct owner-role queries for setup and for checking what a server stored (the owner sees every tenant). */
import pg from 'pg';

/** Runs `fn` with a connected owner client, closed afterwards. */
export async function withOwner<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The first column of the first row as a number (a count), 0 when there is no row. */
export async function queryNumber(c: pg.Client, text: string, params: unknown[] = []): Promise<number> {
  const r = await c.query<Record<string, unknown>>(text, params);
  const row = r.rows[0];
  return row ? Number(Object.values(row)[0]) : 0;
}
