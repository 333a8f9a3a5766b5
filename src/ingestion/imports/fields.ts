/**
 * Validating readers over one row's values, shared by the sales, stores and orders mappers. CSV
 * gives every value as text and NDJSON as any JSON, so each reader takes both ("7" and 7), counts
 * null and "" (an empty cell) as absent, and throws a RowError naming the column and the value.
 * NDJSON strings are trimmed like CSV cells, so the same value reads the same in either format.
 */
import { parseDay, parseInstant } from './calendar.ts';
import { decimalProblem, type DecimalRule } from './decimal.ts';
import { RowError } from './errors.ts';

const INTEGER = /^-?\d{1,15}(?:\.0+)?$/;
const SHOWN = 60;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// A value as a rejection quotes it: short, on one line.
function show(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > SHOWN ? `${flat.slice(0, SHOWN)}...` : flat;
}

/** One row's values by column name (or one nested object of an NDJSON row), read with validation. */
export class Fields {
  readonly #values: Record<string, unknown>;
  readonly #prefix: string;

  constructor(values: Record<string, unknown>, prefix = '') {
    this.#values = values;
    this.#prefix = prefix;
  }

  /** The column as rejections name it: "Date", "customer.email", "lines[2].quantity". */
  name(key: string): string {
    return this.#prefix + key;
  }

  /** Rejects the row because of this column. */
  fail(key: string, problem: string, value?: unknown): never {
    throw new RowError(this.name(key), value === undefined ? problem : `${problem} (${show(value)})`);
  }

  /** The raw value, strings trimmed as csv-parse trims cells; undefined when missing, null or blank (an empty cell). */
  get(key: string): unknown {
    const v = Object.hasOwn(this.#values, key) ? this.#values[key] : undefined;
    const value = typeof v === 'string' ? v.trim() : v;
    return value === null || value === '' ? undefined : value;
  }

  /** True when the column holds a value. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  // A scalar as text: strings as they are, finite numbers as JS prints them; anything else fails.
  #scalar(key: string, what: string): string {
    const v = this.get(key);
    if (v === undefined) this.fail(key, 'required');
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return this.fail(key, what, v);
  }

  /** Required text of at most `max` characters (ids, names). */
  text(key: string, max = 200): string {
    const v = this.#scalar(key, 'not text');
    if (v.length > max) this.fail(key, `longer than ${max} characters`, v);
    return v;
  }

  /** Optional text. */
  optText(key: string, max = 200): string | null {
    return this.has(key) ? this.text(key, max) : null;
  }

  /** A required integer in min..max; "9.0" counts as 9, since spreadsheets and pandas write integers that way. */
  int(key: string, min: number, max: number): number {
    const v = this.#scalar(key, 'not an integer');
    if (!INTEGER.test(v)) this.fail(key, 'not an integer', v);
    const n = Number(v);
    if (n < min || n > max) this.fail(key, `must be ${min}..${max}`, v);
    return n;
  }

  /** An optional integer in min..max. */
  optInt(key: string, min: number, max: number): number | null {
    return this.has(key) ? this.int(key, min, max) : null;
  }

  /** A required 0/1 flag (JSON true/false too). */
  flag(key: string): boolean {
    const v = this.get(key);
    if (v === undefined) this.fail(key, 'required');
    if (v === true || v === 1 || v === '1') return true;
    if (v === false || v === 0 || v === '0') return false;
    return this.fail(key, 'must be 0 or 1', v);
  }

  /** A required value out of a fixed set. */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.#scalar(key, `must be one of ${allowed.join(', ')}`);
    if (!(allowed as readonly string[]).includes(v)) this.fail(key, `must be one of ${allowed.join(', ')}`, v);
    return v as T;
  }

  /** An optional value out of a fixed set. */
  optOneOf<T extends string>(key: string, allowed: readonly T[]): T | null {
    return this.has(key) ? this.oneOf(key, allowed) : null;
  }

  /** A required decimal, as the text it was given (a JSON number as JS prints it). */
  decimal(key: string, rule: DecimalRule): string {
    const v = this.#scalar(key, rule.signed ? 'not a number' : 'not a non-negative number');
    const problem = decimalProblem(v, rule);
    if (problem !== null) this.fail(key, problem, v);
    return v;
  }

  /** An optional decimal. */
  optDecimal(key: string, rule: DecimalRule): string | null {
    return this.has(key) ? this.decimal(key, rule) : null;
  }

  /** A required calendar day written YYYY-MM-DD, as its UTC midnight. */
  day(key: string): Date {
    const v = this.#scalar(key, 'not a date');
    return parseDay(v) ?? this.fail(key, 'not a date', v);
  }

  /** A required instant with a time zone, as ISO 8601 UTC. */
  instant(key: string): string {
    const v = this.#scalar(key, 'not a timestamp');
    const r = parseInstant(v);
    return r.ok ? r.iso : this.fail(key, r.problem, v);
  }

  /** An optional instant. */
  optInstant(key: string): string | null {
    return this.has(key) ? this.instant(key) : null;
  }

  /** An optional nested object, read with the same validation and named "key.inner". */
  object(key: string): Fields | null {
    const v = this.get(key);
    if (v === undefined) return null;
    return isRecord(v) ? new Fields(v, `${this.name(key)}.`) : this.fail(key, 'not an object', v);
  }

  /** An optional array of objects of at most `max` entries, each named "key[i].inner"; empty when absent. */
  list(key: string, max: number): Fields[] {
    const v = this.get(key);
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(key, 'not an array', v);
    if (v.length > max) this.fail(key, `more than ${max} entries`);
    return v.map((item: unknown, i) => (isRecord(item) ? new Fields(item, `${this.name(key)}[${i}].`) : this.fail(`${key}[${i}]`, 'not an object', item)));
  }
}
