import { badRequest } from './errors.ts';

/**
 * Checks optional instants sent in the query or body, and that the second of `order` comes after
 * the first: a 400 naming the field. RFC 3339 allows a leap second (23:59:60), which the contract's
 * date-time format accepts and Date cannot hold, so the contract alone is not enough.
 */
export function checkInstants(values: Readonly<Record<string, string | undefined>>, where: 'query' | 'body', order?: readonly [string, string]): void {
  for (const [name, v] of Object.entries(values)) {
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw badRequest(`\`${name}\` is not a time this API can use.`, [{ name: `${where}.${name}`, reason: 'is not a valid instant' }]);
  }
  if (!order) return;
  const [a, b] = [values[order[0]], values[order[1]]];
  if (a !== undefined && b !== undefined && Date.parse(b) <= Date.parse(a)) {
    throw badRequest(`\`${order[1]}\` must be after \`${order[0]}\`.`, [{ name: `${where}.${order[1]}`, reason: `must be after ${order[0]}` }]);
  }
}

/** A required `[from, to)` query range, at most `maxDays` long, in epoch milliseconds. */
export function checkRange(from: string, to: string, maxDays: number): { from: number; to: number } {
  checkInstants({ from, to }, 'query', ['from', 'to']);
  const f = Date.parse(from);
  const t = Date.parse(to);
  if (t - f > maxDays * 86_400_000) throw badRequest(`The range is longer than ${maxDays} days.`, [{ name: 'query.to', reason: `must be at most ${maxDays} days after from` }]);
  return { from: f, to: t };
}
