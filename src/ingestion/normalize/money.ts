/**
 * Money as decimal strings in major units ("12.30"), computed on BigInt minor units: a float would
 * turn 0.1 + 0.2 into 0.30000000000000004, and totals must add up to the cent.
 */
import { NormalizeError } from './types.ts';

const CODE = /^[A-Za-z]{3}$/;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const SCIENTIFIC = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/;
const exponents = new Map<string, number>();

/** Validates an ISO 4217 code (Stripe sends lower case) and returns it upper case. */
export function currencyCode(value: unknown, field = 'currency'): string {
  if (typeof value !== 'string' || !CODE.test(value)) throw new NormalizeError(field, 'expected a three-letter ISO 4217 currency code');
  return value.toUpperCase();
}

/** Digits after the point for a currency (JPY 0, USD 2, KWD 3), from the CLDR data Intl carries. */
export function exponentOf(currency: string): number {
  let exponent = exponents.get(currency);
  if (exponent === undefined) {
    exponent = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    exponents.set(currency, exponent);
  }
  return exponent;
}

// A JS number's shortest round-trip text, without exponent notation: "1e-7" becomes "0.0000001".
function plain(n: number): string {
  const text = String(n);
  const m = SCIENTIFIC.exec(text);
  if (!m) return text;
  const [, sign = '', lead = '', rest = '', exp = '0'] = m;
  const digits = lead + rest;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits.padEnd(point, '0')}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

// Decimal text for a string or number; null when the value is neither a decimal string nor finite.
function decimalText(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? plain(value) : null;
  return typeof value === 'string' && DECIMAL.test(value) ? value : null;
}

// Scales decimal text to integer units of 10^-exponent; extra non-zero digits throw unless rounding.
function toUnits(text: string, exponent: number, field: string, round: boolean): bigint {
  const [, sign = '', whole = '0', frac = ''] = DECIMAL.exec(text) ?? [];
  const dropped = frac.slice(exponent);
  let units = BigInt(whole + frac.slice(0, exponent).padEnd(exponent, '0'));
  if (/[1-9]/.test(dropped)) {
    if (!round) throw new NormalizeError(field, `"${text}" has more than ${exponent} decimals`);
    // Half away from zero, the commercial rounding shops print on receipts.
    if (dropped[0] !== undefined && dropped[0] >= '5') units += 1n;
  }
  return sign === '-' ? -units : units;
}

// Formats integer units of 10^-exponent as decimal text with exactly `exponent` decimals.
function fromUnits(units: bigint, exponent: number): string {
  const digits = (units < 0n ? -units : units).toString().padStart(exponent + 1, '0');
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return units < 0n ? `-${text}` : text;
}

/** A major-unit amount (decimal string or number) as canonical text: "12.3" USD is "12.30". */
export function toMajor(value: unknown, currency: string, field = 'amount', opts: { round?: boolean } = {}): string {
  const text = decimalText(value);
  if (text === null) throw new NormalizeError(field, 'expected a decimal amount');
  const exponent = exponentOf(currency);
  return fromUnits(toUnits(text, exponent, field, opts.round ?? false), exponent);
}

/** A major-unit amount as integer minor units of the currency ("12.30" USD is 1230n). */
export function majorToMinor(value: unknown, currency: string, field = 'amount'): bigint {
  const text = decimalText(value);
  if (text === null) throw new NormalizeError(field, 'expected a decimal amount');
  return toUnits(text, exponentOf(currency), field, false);
}

/**
 * Integer minor units as canonical major text (1230 USD is "12.30", 1230 JPY is "1230").
 * `minorExponent` is for providers whose minor unit differs from ISO's (Stripe counts ISK in hundredths).
 */
export function minorToMajor(minor: unknown, currency: string, field = 'amount', minorExponent = exponentOf(currency)): string {
  if (typeof minor !== 'bigint' && !(typeof minor === 'number' && Number.isSafeInteger(minor))) {
    throw new NormalizeError(field, 'expected an integer amount in minor units');
  }
  const exponent = exponentOf(currency);
  const units = BigInt(minor);
  if (minorExponent <= exponent) return fromUnits(units * 10n ** BigInt(exponent - minorExponent), exponent);
  const divisor = 10n ** BigInt(minorExponent - exponent);
  if (units % divisor !== 0n) throw new NormalizeError(field, `${units} is finer than ${currency} allows`);
  return fromUnits(units / divisor, exponent);
}

/** The sum of major-unit amounts of one currency; zero for none. */
export function sumMajor(values: readonly unknown[], currency: string, field = 'amount'): string {
  let total = 0n;
  for (const v of values) total += majorToMinor(v, currency, field);
  return fromUnits(total, exponentOf(currency));
}

/** Unit price times an integer quantity, exactly. */
export function mulMajor(price: unknown, quantity: number, currency: string, field = 'price'): string {
  if (!Number.isSafeInteger(quantity)) throw new NormalizeError(field, 'quantity is not an integer');
  return fromUnits(majorToMinor(price, currency, field) * BigInt(quantity), exponentOf(currency));
}

/** A decimal with no known currency (a product price): validated, leading zeros dropped, decimals kept. */
export function plainDecimal(value: unknown, field = 'amount'): string {
  const text = decimalText(value);
  if (text === null) throw new NormalizeError(field, 'expected a decimal amount');
  const [, sign = '', whole = '0', frac] = DECIMAL.exec(text) ?? [];
  const body = frac === undefined ? BigInt(whole).toString() : `${BigInt(whole)}.${frac}`;
  return sign === '-' && /[1-9]/.test(body) ? `-${body}` : body;
}
