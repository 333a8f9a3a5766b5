/**
 * How many orders a store should expect on a day: base × weekly rhythm × season × promotion ×
 * school holidays × level shifts, and nothing on public holidays (stores closed). The level
 * shifts are the planted regime changes the analytics are expected to find again.
 */
import { hashString, mixSeed, Rng } from './prng.ts';
import type { DemoStore, StoreType } from './stores.ts';
import { dayNumber, dayOfYear, monthDay, weekday, weekNumber } from './time.ts';

/** A planted level shift: from `from` on, the store's demand is multiplied by `factor`. */
export interface DemoShift {
  store: string;
  from: string;
  factor: number;
  why: string;
}

/** The regime changes in the demo data, written down so detection can be checked against them. */
export const DEMO_SHIFTS: readonly DemoShift[] = [
  { store: 'demo-003', from: '2025-06-02', factor: 1.4, why: 'refit and longer opening hours' },
  { store: 'demo-007', from: '2025-09-15', factor: 0.7, why: 'a competitor opens 350 m away' },
  { store: 'demo-005', from: '2026-01-12', factor: 1.25, why: 'the mall reopens its renovated wing' },
];

/**
 * Mean-order multipliers Monday..Sunday per store type: high-street (a) and mall (b) stores are
 * busier at weekends, station (c) and office-district (d) stores quieter.
 */
export const WEEKDAY_FACTORS: Record<StoreType, readonly number[]> = {
  a: [0.92, 0.94, 0.96, 1.0, 1.12, 1.4, 1.25],
  b: [0.85, 0.85, 0.9, 0.95, 1.1, 1.55, 1.35],
  c: [1.1, 1.1, 1.1, 1.08, 1.05, 0.6, 0.45],
  d: [1.05, 1.05, 1.05, 1.05, 1.0, 0.7, 0.5],
};

/** +1 when a store type sells more at weekends than on weekdays, -1 when less. */
export function weekendDirection(type: StoreType): 1 | -1 {
  const f = WEEKDAY_FACTORS[type];
  const weekend = ((f[5] ?? 0) + (f[6] ?? 0)) / 2;
  const weekdays = f.slice(0, 5).reduce((s, x) => s + x, 0) / 5;
  return weekend > weekdays ? 1 : -1;
}

/** Public holidays: every store is closed (state holiday 'a' in the daily rows). */
export const HOLIDAYS: readonly string[] = ['01-01', '05-01', '12-25', '12-26'];

// School holidays (month-day ranges, inclusive; the first wraps over New Year): slightly busier.
const SCHOOL_HOLIDAYS: readonly [string, string][] = [['12-22', '01-06'], ['04-07', '04-21'], ['07-14', '08-29'], ['10-20', '10-31']];

/** Whether a day is a public holiday. */
export const isHoliday = (day: number): boolean => HOLIDAYS.includes(monthDay(day));

/** Whether a day falls in the school holidays. */
export function isSchoolHoliday(day: number): boolean {
  const md = monthDay(day);
  return SCHOOL_HOLIDAYS.some(([a, b]) => (a <= b ? md >= a && md <= b : md >= a || md <= b));
}

/** Whether a store runs a promotion in the week of a day: about one week in five, drawn per store and week. */
export function isPromoWeek(seed: number, store: DemoStore, day: number): boolean {
  return new Rng(mixSeed(seed, hashString(store.externalId), weekNumber(day), 0x70)).chance(0.2);
}

// Days between two days of the year, around the year's end.
const yearDistance = (a: number, b: number): number => Math.min(Math.abs(a - b), 365 - Math.abs(a - b));

/** The yearly season: a mild summer swell, a December peak before Christmas and a January lull. */
export function seasonality(day: number): number {
  const d = dayOfYear(day);
  const summer = 0.08 * Math.sin((2 * Math.PI * (d - 80)) / 365);
  const december = 0.5 * Math.exp(-(((yearDistance(d, 354) / 10) ** 2)));
  const january = -0.15 * Math.exp(-(((yearDistance(d, 18) / 12) ** 2)));
  return 1 + summer + december + january;
}

/** The product of the shifts in effect for a store on a day. */
export function shiftFactor(store: DemoStore, day: number): number {
  return DEMO_SHIFTS.filter((s) => s.store === store.externalId && day >= dayNumber(s.from)).reduce((f, s) => f * s.factor, 1);
}

/** What a store-day looks like before any order is drawn. */
export interface DayPlan {
  open: boolean;
  promo: boolean;
  holiday: boolean;
  schoolHoliday: boolean;
  meanOrders: number;
}

/** The plan of one store-day; `scale` multiplies every mean (the volume knob). */
export function planDay(seed: number, store: DemoStore, day: number, scale: number): DayPlan {
  const holiday = isHoliday(day);
  const promo = isPromoWeek(seed, store, day);
  const schoolHoliday = isSchoolHoliday(day);
  if (holiday) return { open: false, promo, holiday, schoolHoliday, meanOrders: 0 };
  const rhythm = WEEKDAY_FACTORS[store.storeType][weekday(day) - 1] ?? 1;
  const mean = store.baseOrders * scale * rhythm * seasonality(day) * (promo ? 1.3 : 1) * (schoolHoliday ? 1.05 : 1) * shiftFactor(store, day);
  return { open: true, promo, holiday, schoolHoliday, meanOrders: mean };
}
