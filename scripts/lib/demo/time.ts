/**
 * Days as integers (days since 1970-01-01) and local wall-clock times turned into UTC instants.
 * Integers keep the day loop cheap and free of the process's own time zone.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Days since 1970-01-01 of a YYYY-MM-DD string (assumed valid). */
export const dayNumber = (iso: string): number => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);

/** YYYY-MM-DD of a day number. */
export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** ISO weekday of a day number: Monday = 1 .. Sunday = 7 (1970-01-01 was a Thursday). */
export const weekday = (day: number): number => ((day + 3) % 7) + 1;

/** The week a day falls in, counted in Monday-started weeks since 1969-12-29. */
export const weekNumber = (day: number): number => Math.floor((day + 3) / 7);

/** Month-day ("12-25") of a day number, for fixed-date calendars. */
export const monthDay = (day: number): string => isoDay(day).slice(5);

/** Day of the year, 0-based. */
export function dayOfYear(day: number): number {
  const d = new Date(day * DAY_MS);
  return day - Math.floor(Date.UTC(d.getUTCFullYear(), 0, 1) / DAY_MS);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();
const OFFSET = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/;

/**
 * The zone's UTC offset (ms) at an instant, from Intl's `longOffset` name ("GMT+02:00", "GMT").
 * Cached per zone and UTC hour: these zones only change offset on the hour, and Intl is slow
 * enough that asking it once per order would show.
 */
export function zoneOffsetMs(zone: string, instantMs: number): number {
  const key = `${zone}|${Math.floor(instantMs / HOUR_MS)}`;
  const hit = offsets.get(key);
  if (hit !== undefined) return hit;
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formatters.set(zone, f);
  }
  const name = f.formatToParts(instantMs).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = OFFSET.exec(name);
  if (!m) throw new Error(`cannot read the offset of ${zone} from "${name}"`);
  const ms = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
  offsets.set(key, ms);
  return ms;
}

/**
 * The UTC instant (ms) of a local wall-clock time in a zone. The offsets a day before and a day
 * after bracket any DST change; the time read with the later offset is taken when that offset
 * really holds then (every ordinary time, and the second, standard-time occurrence in the autumn
 * overlap), else with the earlier one (a time in the spring gap, which lands an hour later).
 */
export function localToUtc(day: number, secondOfDay: number, zone: string): number {
  const naive = day * DAY_MS + secondOfDay * 1000;
  const after = zoneOffsetMs(zone, naive + DAY_MS);
  const late = naive - after;
  return zoneOffsetMs(zone, late) === after ? late : naive - zoneOffsetMs(zone, naive - DAY_MS);
}
