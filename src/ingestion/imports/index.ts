/** Bulk imports' parsing: what the import job and the batch events API use from this folder. */
export { ImportFormatError, parseImport } from './parse.ts';
export type { ImportFormat, ImportKind, ImportRow, ParsedRow, SalesRow, StoreRow } from './parse.ts';
export { orderFromRecord } from './rows-orders.ts';
export type { RowResult } from './types.ts';
