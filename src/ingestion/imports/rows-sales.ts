/** Rossmann daily sales rows (Kaggle's train.csv): one store, one day. */
import { WEEKDAYS, formatDay, isoWeekday } from './calendar.ts';
import { MONEY_UNSIGNED } from './decimal.ts';
import type { Fields } from './fields.ts';
import type { SalesRow } from './types.ts';

/** The columns of a sales file, all required. */
export const SALES_COLUMNS = ['Store', 'DayOfWeek', 'Date', 'Sales', 'Customers', 'Open', 'Promo', 'StateHoliday', 'SchoolHoliday'] as const;

const STATE_HOLIDAYS = ['0', 'a', 'b', 'c'] as const;
const MAX_INT4 = 2_147_483_647;

/** Validates one sales row; DayOfWeek must be the ISO weekday of Date, or one of the two is wrong. */
export function salesRow(f: Fields): SalesRow {
  const store = f.text('Store');
  const dayOfWeek = f.int('DayOfWeek', 1, 7);
  const day = f.day('Date');
  const date = formatDay(day);
  const actual = isoWeekday(day);
  if (actual !== dayOfWeek) f.fail('DayOfWeek', `${dayOfWeek} does not match Date ${date}, a ${WEEKDAYS[actual]} (${actual})`);
  return {
    store,
    dayOfWeek,
    date,
    sales: f.decimal('Sales', MONEY_UNSIGNED),
    customers: f.int('Customers', 0, MAX_INT4),
    open: f.flag('Open'),
    promo: f.flag('Promo'),
    stateHoliday: f.oneOf('StateHoliday', STATE_HOLIDAYS),
    schoolHoliday: f.flag('SchoolHoliday'),
  };
}
