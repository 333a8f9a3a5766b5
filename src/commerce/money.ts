/**
 * Decimal strings for money: Postgres numeric comes back as text, and it goes out as text, cut to
 * the currency's minor unit. BigInt on scaled integers, so no float ever touches an amount.
 */

const SCALE = 4;

function digitsOf(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** A numeric string as an integer of ten-thousandths. */
export function toUnits(value: string | null | undefined): bigint {
  if (value === null || value === undefined || value === '') return 0n;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new Error(`not a decimal: ${value}`);
  const frac = (m[3] ?? '').padEnd(SCALE, '0').slice(0, SCALE);
  const n = BigInt(m[2] as string) * 10n ** BigInt(SCALE) + BigInt(frac);
  return m[1] === '-' ? -n : n;
}

/** Ten-thousandths as a decimal string with the currency's digits, rounded half away from zero. */
export function formatMoney(units: bigint, currency: string): string {
  const digits = digitsOf(currency);
  const step = 10n ** BigInt(SCALE - digits);
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const rounded = (abs + step / 2n) / step;
  const whole = rounded / 10n ** BigInt(digits);
  const frac = (rounded % 10n ** BigInt(digits)).toString().padStart(digits, '0');
  const s = digits > 0 ? `${whole}.${frac}` : `${whole}`;
  return neg && rounded !== 0n ? `-${s}` : s;
}

/** A numeric string re-cut to the currency's digits. */
export function money(value: string | null | undefined, currency: string): string {
  return formatMoney(toUnits(value), currency);
}

/** The quotient of ten-thousandths by a count, in ten-thousandths (zero when the count is). */
export function divide(units: bigint, count: number): bigint {
  return count === 0 ? 0n : (units * 2n + BigInt(count)) / (2n * BigInt(count));
}
