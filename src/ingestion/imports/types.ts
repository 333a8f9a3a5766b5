/**
 * The shapes a bulk import's rows take once parsed. Rossmann figures stay decimal strings (no
 * float ever touches money); dates are calendar days (YYYY-MM-DD), with no time zone to get wrong.
 */
import type { CanonicalOrder } from '../../commerce/index.ts';
import type { ImportKind } from '../tables.ts';

export type { ImportKind };

/** How the uploaded file is encoded: CSV with a header row, or one JSON object per line. */
export type ImportFormat = 'csv' | 'ndjson';

/** One store's figures for one day, in the layout of Kaggle's Rossmann train.csv. */
export interface SalesRow {
  store: string;
  /** ISO weekday of `date`, Monday = 1. */
  dayOfWeek: number;
  /** YYYY-MM-DD. */
  date: string;
  /** A non-negative decimal string. */
  sales: string;
  customers: number;
  open: boolean;
  promo: boolean;
  /** '0' (none), 'a' (public holiday), 'b' (Easter), 'c' (Christmas). */
  stateHoliday: string;
  schoolHoliday: boolean;
}

/** One store's master data, in the layout of Kaggle's Rossmann store.csv. */
export interface StoreRow {
  store: string;
  /** 'a' to 'd'. */
  storeType: string | null;
  /** 'a' (basic), 'b' (extra), 'c' (extended). */
  assortment: string | null;
  /** Metres to the nearest competitor, as a decimal string. */
  competitionDistance: string | null;
  /** YYYY-MM-01 from CompetitionOpenSinceMonth and -Year; null when either is missing. */
  competitionOpenSince: string | null;
  promo2: boolean;
  /** The Monday of ISO week Promo2SinceWeek of Promo2SinceYear; null when either is missing. */
  promo2Since: string | null;
  /** The months Promo2 restarts in, like "Jan,Apr,Jul,Oct". */
  promoInterval: string | null;
}

/** A parsed row, tagged with the kind of import it came from. */
export type ImportRow = { kind: 'sales'; value: SalesRow } | { kind: 'stores'; value: StoreRow } | { kind: 'orders'; value: CanonicalOrder };

/** What the parser yields for each data row: its value, or why it was rejected. `row` is its number in the file. */
export type ParsedRow = { row: number; ok: true; value: ImportRow } | { row: number; ok: false; reason: string };

/** A value read and validated, or the reason it could not be. */
export type RowResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A data row split into named values (all strings from CSV, any JSON from NDJSON), before validation. */
export type RawRecord = { row: number; ok: true; values: Record<string, unknown> } | { row: number; ok: false; reason: string };
