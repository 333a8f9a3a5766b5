/** Number formatting and plain-text tables for benchmark output. */

/** A number with a fixed count of decimals and thousands separators; "-" for NaN. */
export function num(n: number, decimals = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A ratio with two decimals and the target beside it, flagged when below. */
export function ratioCell(r: number, target?: number): string {
  if (target === undefined) return num(r, 2);
  return `${num(r, 2)} (target ≥ ${target}${Number.isFinite(r) && r >= target ? '' : ', BELOW'})`;
}

// Text cells that look like numbers read best right-aligned, like a spreadsheet.
const NUMERIC = /^[-+]?[\d,.]+( |$)/;

/** Prints a titled table: a header row, a rule, then the rows, columns padded to their widest cell. */
export function printTable(title: string, columns: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (NUMERIC.test(c) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ').trimEnd();
  const out = [`\n${title}`, line(columns), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)];
  process.stdout.write(`${out.join('\n')}\n`);
}
