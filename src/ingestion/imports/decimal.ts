/**
 * Decimal text checked against a column's precision, and exact arithmetic on it in integer
 * ten-thousandths (the 4 decimals of the numeric(18,4) money columns): no float rounds a cent away.
 */
const NUMBER = /^(-?)(\d+)(?:\.(\d+))?$/;
const SCALE = 4;
const ONE = 10n ** BigInt(SCALE);
// numeric(18,4): 14 digits before the point.
const LIMIT = 10n ** 18n;

/** What a decimal column accepts: a sign or not, digits before and after the point. */
export interface DecimalRule {
  signed: boolean;
  intDigits: number;
  fracDigits: number;
}

/** Money as the numeric(18,4) columns and the API's Money schema take it. */
export const MONEY: DecimalRule = { signed: true, intDigits: 14, fracDigits: 4 };
/** Non-negative money: daily sales. */
export const MONEY_UNSIGNED: DecimalRule = { signed: false, intDigits: 14, fracDigits: 4 };

/** Why decimal text breaks a rule, or null when it fits. */
export function decimalProblem(text: string, rule: DecimalRule): string | null {
  const m = NUMBER.exec(text);
  if (!m || (m[1] === '-' && !rule.signed)) return rule.signed ? 'not a number' : 'not a non-negative number';
  if ((m[2] ?? '').replace(/^0+(?=\d)/, '').length > rule.intDigits) return `more than ${rule.intDigits} digits before the point`;
  if ((m[3] ?? '').length > rule.fracDigits) return `more than ${rule.fracDigits} decimals`;
  return null;
}

/** Decimal text of at most 4 decimals as integer ten-thousandths. */
export function toUnits(text: string): bigint {
  const [, sign = '', whole = '0', frac = ''] = NUMBER.exec(text) ?? [];
  const units = BigInt(whole + frac.padEnd(SCALE, '0').slice(0, SCALE));
  return sign === '-' ? -units : units;
}

/** Integer ten-thousandths as decimal text: at least `minDecimals` decimals, zeros past those dropped. */
export function fromUnits(units: bigint, minDecimals: number): string {
  const abs = units < 0n ? -units : units;
  const frac = (abs % ONE).toString().padStart(SCALE, '0').replace(/0+$/, '').padEnd(Math.min(minDecimals, SCALE), '0');
  const text = frac ? `${abs / ONE}.${frac}` : `${abs / ONE}`;
  return units < 0n ? `-${text}` : text;
}

/** True when ten-thousandths still fit numeric(18,4). */
export const fits = (units: bigint): boolean => units < LIMIT && units > -LIMIT;

/** `units / by`, rounded half away from zero to a ten-thousandth. */
export function divideUnits(units: bigint, by: bigint): bigint {
  const abs = units < 0n ? -units : units;
  const q = (2n * abs + by) / (2n * by);
  return units < 0n ? -q : q;
}
