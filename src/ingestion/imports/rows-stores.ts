/** Rossmann store master data rows (Kaggle's store.csv), where an empty cell means "unknown". */
import { formatDay, mondayOfIsoWeek } from './calendar.ts';
import type { DecimalRule } from './decimal.ts';
import type { Fields } from './fields.ts';
import type { StoreRow } from './types.ts';

/** The columns of a stores file: all must be in the header, though most cells may be empty. */
export const STORE_COLUMNS = [
  'Store',
  'StoreType',
  'Assortment',
  'CompetitionDistance',
  'CompetitionOpenSinceMonth',
  'CompetitionOpenSinceYear',
  'Promo2',
  'Promo2SinceWeek',
  'Promo2SinceYear',
  'PromoInterval',
] as const;

const STORE_TYPES = ['a', 'b', 'c', 'd'] as const;
const ASSORTMENTS = ['a', 'b', 'c'] as const;
// Kaggle's file spells September "Sept" ("Mar,Jun,Sept,Dec"); both spellings are months.
const MONTHS = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Sept', 'Oct', 'Nov', 'Dec']);
// competition_distance is numeric(12,2).
const DISTANCE: DecimalRule = { signed: false, intDigits: 10, fracDigits: 2 };

function promoInterval(f: Fields): string | null {
  const text = f.optText('PromoInterval');
  if (text === null) return null;
  const months = text.split(',').map((m) => m.trim());
  if (!months.every((m) => MONTHS.has(m))) f.fail('PromoInterval', 'not a list of months like Jan,Apr,Jul,Oct', text);
  return months.join(',');
}

function competitionOpenSince(f: Fields): string | null {
  const month = f.optInt('CompetitionOpenSinceMonth', 1, 12);
  const year = f.optInt('CompetitionOpenSinceYear', 1000, 9999);
  return month === null || year === null ? null : `${year}-${String(month).padStart(2, '0')}-01`;
}

function promo2Since(f: Fields): string | null {
  const week = f.optInt('Promo2SinceWeek', 1, 53);
  const year = f.optInt('Promo2SinceYear', 1000, 9999);
  if (week === null || year === null) return null;
  const monday = mondayOfIsoWeek(year, week) ?? f.fail('Promo2SinceWeek', `${year} has no ISO week ${week}`, week);
  return formatDay(monday);
}

/** Validates one store row. */
export function storeRow(f: Fields): StoreRow {
  return {
    store: f.text('Store'),
    storeType: f.optOneOf('StoreType', STORE_TYPES),
    assortment: f.optOneOf('Assortment', ASSORTMENTS),
    competitionDistance: f.optDecimal('CompetitionDistance', DISTANCE),
    competitionOpenSince: competitionOpenSince(f),
    promo2: f.flag('Promo2'),
    promo2Since: promo2Since(f),
    promoInterval: promoInterval(f),
  };
}
