/**
 * Calendar arithmetic on UTC midnights. `Date.parse` rolls 2015-02-30 over to March 2nd, so every
 * day here is checked to round-trip before it is believed.
 */

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// RFC 3339 with the time-zone part optional, so a zone-less time can be told apart from garbage.
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/** The weekday names, indexed by ISO weekday (Monday = 1). */
export const WEEKDAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** UTC midnight of a calendar day, or null when the day does not exist (2015-02-30, month 13). */
export function calendarDay(year: number, month: number, day: number): Date | null {
  const d = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear does not.
  d.setUTCFullYear(year);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? d : null;
}

/** A YYYY-MM-DD string as UTC midnight, or null when it is not one or names no real day. */
export function parseDay(text: string): Date | null {
  const m = DATE.exec(text);
  return m ? calendarDay(Number(m[1]), Number(m[2]), Number(m[3])) : null;
}

/** YYYY-MM-DD of a UTC midnight. */
export const formatDay = (d: Date): string => d.toISOString().slice(0, 10);

/** ISO weekday, Monday = 1 .. Sunday = 7. */
export const isoWeekday = (d: Date): number => d.getUTCDay() || 7;

/** The Monday of ISO week `week` of `year`, or null when that year has no such week (week 53 of a 52-week year). */
export function mondayOfIsoWeek(year: number, week: number): Date | null {
  // Week 1 is the week holding January 4th; December 28th is always in the year's last week.
  const jan4 = calendarDay(year, 1, 4);
  const dec28 = calendarDay(year, 12, 28);
  if (!jan4 || !dec28 || week < 1) return null;
  const firstMonday = jan4.getTime() - (isoWeekday(jan4) - 1) * DAY_MS;
  const weeks = Math.floor((dec28.getTime() - firstMonday) / (7 * DAY_MS)) + 1;
  return week <= weeks ? new Date(firstMonday + (week - 1) * 7 * DAY_MS) : null;
}

/** Why a time string is not an instant: it has no zone, or it is not a time at all. */
export type InstantProblem = 'no time zone' | 'not a timestamp';

/**
 * An RFC 3339 time as ISO 8601 UTC with milliseconds. A time without a zone is refused: read as
 * UTC or as the server's zone, it would shift every order of a shop in another zone by hours.
 */
export function parseInstant(text: string): { ok: true; iso: string } | { ok: false; problem: InstantProblem } {
  const m = INSTANT.exec(text);
  if (!m) return { ok: false, problem: 'not a timestamp' };
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = m;
  const time = Number(h) <= 23 && Number(mi) <= 59 && Number(s) <= 59;
  if (!calendarDay(Number(y), Number(mo), Number(d)) || !time) return { ok: false, problem: 'not a timestamp' };
  if (zone === undefined) return { ok: false, problem: 'no time zone' };
  const ms = Date.parse(text.toUpperCase().replace(' ', 'T'));
  return Number.isNaN(ms) ? { ok: false, problem: 'not a timestamp' } : { ok: true, iso: new Date(ms).toISOString() };
}
