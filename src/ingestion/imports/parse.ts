/**
 * Streaming parsers for bulk imports: the stored chunks of an upload in, one validated row (or
 * one rejection) out at a time, so a 512 MiB file never sits in memory and the consumer's pace
 * (its database writes) sets the pace of reading.
 */
import { csvRecords } from './csv.ts';
import { attempt } from './errors.ts';
import { Fields } from './fields.ts';
import { ndjsonRecords } from './ndjson.ts';
import { ORDER_REQUIRED_COLUMNS, orderFromCsv, orderFromJson } from './rows-orders.ts';
import { SALES_COLUMNS, salesRow } from './rows-sales.ts';
import { STORE_COLUMNS, storeRow } from './rows-stores.ts';
import type { ImportFormat, ImportKind, ImportRow, ParsedRow } from './types.ts';

export { ImportFormatError } from './errors.ts';
export type { ImportFormat, ImportKind, ImportRow, ParsedRow, SalesRow, StoreRow } from './types.ts';

interface Layout {
  /** Header columns a CSV file must have; NDJSON checks its keys row by row instead. */
  required: readonly string[];
  map: (f: Fields, format: ImportFormat) => ImportRow;
}

const LAYOUTS: Record<ImportKind, Layout> = {
  sales: { required: SALES_COLUMNS, map: (f) => ({ kind: 'sales', value: salesRow(f) }) },
  stores: { required: STORE_COLUMNS, map: (f) => ({ kind: 'stores', value: storeRow(f) }) },
  orders: { required: ORDER_REQUIRED_COLUMNS, map: (f, format) => ({ kind: 'orders', value: format === 'csv' ? orderFromCsv(f) : orderFromJson(f) }) },
};

/**
 * Yields each data row of the file, parsed and validated, or a rejection with its row number and reason.
 * Rows are CSV line numbers (the header is row 1) or NDJSON line numbers. Throws ImportFormatError
 * when the file as a whole cannot be read (a required CSV column is missing, a quote never closes).
 */
export async function* parseImport(kind: ImportKind, format: ImportFormat, input: AsyncIterable<Buffer>): AsyncGenerator<ParsedRow> {
  const layout = LAYOUTS[kind];
  const records = format === 'csv' ? csvRecords(input, layout.required) : ndjsonRecords(input);
  for await (const r of records) {
    if (!r.ok) {
      yield r;
      continue;
    }
    const result = attempt(() => layout.map(new Fields(r.values), format));
    yield result.ok ? { row: r.row, ok: true, value: result.value } : { row: r.row, ok: false, reason: result.reason };
  }
}
