/**
 * Typed readers over an untrusted parsed body. Each one names the path it read when it throws,
 * so a dead-lettered event says which field was wrong, and no normalizer repeats these checks.
 */
import { currencyCode, minorToMajor, plainDecimal, toMajor } from './money.ts';
import { NormalizeError } from './types.ts';

/** A value inside a payload with the path that names it in errors; readers accept one as their source. */
export class At {
  readonly value: unknown;
  readonly path: string;

  constructor(value: unknown, path: string) {
    this.value = value;
    this.path = path;
  }
}

/** Where a reader starts: a raw body, or a place inside one. */
export type Source = unknown;

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
// Unix seconds past this (year 10000) would be milliseconds sent by mistake, or not ISO-printable.
const MAX_UNIX_SECONDS = 253_402_300_800;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown): boolean => v === undefined || v === null;

/**
 * Follows a dotted path ("purchase_units.0.amount"; "" is the source itself); missing steps give
 * undefined. Index steps are named as in list(): "purchase_units[0].amount".
 */
export function at(src: Source, path: string): At {
  const base = src instanceof At ? src : new At(src, '');
  if (path === '') return base;
  let value = base.value;
  let name = base.path;
  for (const key of path.split('.')) {
    const index = /^\d+$/.test(key);
    if (isRecord(value)) value = Object.hasOwn(value, key) ? value[key] : undefined;
    else if (Array.isArray(value) && index) value = value[Number(key)];
    else value = undefined;
    name = index ? `${name}[${key}]` : name ? `${name}.${key}` : key;
  }
  return new At(value, name);
}

/** True when the path holds something other than null or undefined. */
export const has = (src: Source, path: string): boolean => !absent(at(src, path).value);

/** A required object. */
export function obj(src: Source, path: string): At {
  const found = at(src, path);
  if (!isRecord(found.value)) throw new NormalizeError(found.path, 'expected an object');
  return found;
}

/** An optional object: null when absent. */
export const optObj = (src: Source, path: string): At | null => (has(src, path) ? obj(src, path) : null);

/** A required array, as one place per entry ("line_items[0]"). */
export function list(src: Source, path: string): At[] {
  const found = at(src, path);
  if (!Array.isArray(found.value)) throw new NormalizeError(found.path, 'expected an array');
  return found.value.map((v: unknown, i) => new At(v, `${found.path}[${i}]`));
}

/** An optional array: empty when absent. */
export const optList = (src: Source, path: string): At[] => (has(src, path) ? list(src, path) : []);

/** A required non-empty string. */
export function str(src: Source, path: string): string {
  const found = at(src, path);
  if (typeof found.value !== 'string' || found.value === '') throw new NormalizeError(found.path, 'expected a non-empty string');
  return found.value;
}

/** An optional string; "" counts as absent because WooCommerce sends "" for every unset text field. */
export function optStr(src: Source, path: string): string | null {
  const found = at(src, path);
  if (absent(found.value) || found.value === '') return null;
  if (typeof found.value !== 'string') throw new NormalizeError(found.path, 'expected a string');
  return found.value;
}

/** A required id: a non-empty string, or an integer JSON.parse read exactly (Shopify and WooCommerce send numbers). */
export function id(src: Source, path: string): string {
  const found = at(src, path);
  const v = found.value;
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === 'number' && Number.isInteger(v)) throw new NormalizeError(found.path, 'integer id above 2^53 lost digits in JSON.parse (read the body with parsePayload)');
  throw new NormalizeError(found.path, 'expected an id');
}

/** An optional id; 0 and "" count as absent because WooCommerce says "none" (a guest, a deleted product) with them. */
export function optId(src: Source, path: string): string | null {
  const v = at(src, path).value;
  return absent(v) || v === 0 || v === '' ? null : id(src, path);
}

/** A non-negative integer, from a number or a digit string (PayPal sends quantities as "2"). */
export function int(src: Source, path: string): number {
  const found = at(src, path);
  const v = typeof found.value === 'string' && /^\d{1,15}$/.test(found.value) ? Number(found.value) : found.value;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new NormalizeError(found.path, 'expected a non-negative integer');
  return v;
}

/** An optional boolean. */
export function optBool(src: Source, path: string): boolean | null {
  const found = at(src, path);
  if (absent(found.value)) return null;
  if (typeof found.value !== 'boolean') throw new NormalizeError(found.path, 'expected a boolean');
  return found.value;
}

/**
 * A time as ISO 8601 UTC with milliseconds. Accepts ISO strings with an offset, zone-less strings
 * (read as UTC: only WooCommerce's *_gmt fields are zone-less, and they are UTC), and unix seconds.
 */
export function isoTime(src: Source, path: string): string {
  const found = at(src, path);
  const v = found.value;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < MAX_UNIX_SECONDS) return new Date(v * 1000).toISOString();
  const m = typeof v === 'string' ? ISO_TIME.exec(v) : null;
  if (typeof v === 'string' && m) {
    const [, y = '', mo = '', d = ''] = m;
    // Date.parse rolls 2024-02-30 over to March 1st; a calendar day that does not exist is malformed.
    const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    const ms = Date.parse(m[4] ? v : `${v}Z`);
    if (day.getUTCMonth() === Number(mo) - 1 && day.getUTCDate() === Number(d) && !Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  throw new NormalizeError(found.path, 'expected an ISO 8601 time or unix seconds');
}

/** An optional time. */
export const optIsoTime = (src: Source, path: string): string | null => (has(src, path) ? isoTime(src, path) : null);

/** A required ISO 4217 code, upper-cased. */
export const currency = (src: Source, path: string): string => {
  const found = at(src, path);
  return currencyCode(found.value, found.path);
};

/** A required major-unit amount in canonical text; `round` only for provider values that are derived quotients. */
export function amount(src: Source, path: string, code: string, opts: { round?: boolean } = {}): string {
  const found = at(src, path);
  return toMajor(found.value, code, found.path, opts);
}

/** An optional major-unit amount. */
export const optAmount = (src: Source, path: string, code: string): string | null => (has(src, path) ? amount(src, path, code) : null);

/** A required integer amount in minor units, as canonical major text. */
export function minorAmount(src: Source, path: string, code: string, minorExponent?: number): string {
  const found = at(src, path);
  return minorToMajor(found.value, code, found.path, minorExponent);
}

/** An optional decimal with no currency to scale it by (a product's price); "" counts as absent. */
export function optDecimal(src: Source, path: string): string | null {
  const found = at(src, path);
  return absent(found.value) || found.value === '' ? null : plainDecimal(found.value, found.path);
}

/** "First Last" from optional parts; null when both are missing. */
export const fullName = (first: string | null, last: string | null): string | null =>
  [first, last].filter((part): part is string => part !== null && part.trim() !== '').join(' ') || null;

/**
 * JSON.parse that keeps integers beyond 2^53 as their exact digit strings: Shopify's sample payloads
 * carry 18-digit ids that a plain parse silently rounds, merging distinct orders into one.
 */
export function parsePayload(raw: Buffer | string): unknown {
  return JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'), (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source) ? context.source : value,
  );
}
