import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Refusal, RefusalReason } from './types.ts';

/** A parsed JSON object body; only ever read for ids and topics. */
export type JsonObject = Record<string, unknown>;

/** Builds a refusal; the detail goes to the log only. */
export function refuse(reason: RefusalReason, detail: string): Refusal {
  return { ok: false, reason, detail };
}

/** Reads one header (names are lowercase in Node); an array (repeated header) yields its first value, blank yields undefined. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Constant-time comparison; a length mismatch is simply false (timingSafeEqual would throw). */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return x.length === y.length && timingSafeEqual(x, y);
}

/** HMAC-SHA256 keyed with the secret string's UTF-8 bytes, as every provider here does. */
export function hmacSha256(secret: string, data: Buffer | string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(data).digest();
}

/** True when `signature` is the base64 HMAC of `body` under any secret (Shopify, WooCommerce). */
export function base64HmacMatches(signature: string, body: Buffer, secrets: readonly string[]): boolean {
  // Compare the canonical base64 text, not decoded bytes: Node's lenient decoder ignores stray or padding bits.
  return secrets.some((secret) => safeEqual(hmacSha256(secret, body).toString('base64'), signature));
}

/** Decodes base64 only when it is canonical, so a changed character can never decode to the same bytes. */
export function decodeBase64Strict(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length > 0 && bytes.toString('base64') === text ? bytes : null;
}

/** Lowercase hex SHA-256 of the raw bytes. */
export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

// 16 digits or more may exceed 2^53; bodies without such a run parse natively (a reviver is several times slower).
const LONG_DIGITS = /\d{16}/;

/** Parses a JSON object body (integers beyond 2^53 kept exact as bigint); null when it is not one. */
export function parseJsonObject(raw: Buffer): JsonObject | null {
  try {
    const text = raw.toString('utf8');
    // Ids such as Shopify's can exceed a double's precision, so those integers are rebuilt from their source text.
    const value: unknown = !LONG_DIGITS.test(text)
      ? JSON.parse(text)
      : JSON.parse(text, (_key: string, v: unknown, context?: { source?: string }) =>
          typeof v === 'number' && !Number.isSafeInteger(v) && context?.source && /^-?\d+$/.test(context.source) ? BigInt(context.source) : v,
        );
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An id in string form: strings as they are, integers in decimal; anything else is no id. */
export function idString(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  return null;
}

/** Follows a path of object keys; null as soon as a step is not an object. */
export function pick(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObject(current)) return null;
    current = current[key];
  }
  return current;
}

/** Copies the named headers that are present, under the given stable names. */
export function keepHeaders(headers: IncomingHttpHeaders, names: Readonly<Record<string, readonly string[]>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [stable, candidates] of Object.entries(names)) {
    const value = candidates.map((name) => header(headers, name)).find((v) => v !== undefined);
    if (value !== undefined) kept[stable] = value;
  }
  return kept;
}

/** Checks a Stripe-style `t=<unix>,v1=<hex>[,...]` header (hex HMAC of `${t}.${body}`, any secret, then tolerance); null when valid. */
export function verifyTimestampedHmac(
  signatureHeader: string | undefined,
  body: Buffer,
  secrets: readonly string[],
  now: Date,
  toleranceSeconds: number,
): Refusal | null {
  if (signatureHeader === undefined) return refuse('missing-signature', 'no signature header');
  let timestamp: string | undefined;
  const v1: string[] = [];
  for (const item of signatureHeader.split(',')) {
    const at = item.indexOf('=');
    if (at < 0) continue;
    const key = item.slice(0, at).trim();
    const value = item.slice(at + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') v1.push(value);
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return refuse('malformed', 'signature header has no valid t');
  if (v1.length === 0) return refuse('missing-signature', 'signature header has no v1 value');
  // The timestamp is judged only after the signature, so an unauthenticated sender learns nothing from it.
  const signed = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]);
  const expected = secrets.map((secret) => hmacSha256(secret, signed).toString('hex'));
  if (!expected.some((e) => v1.some((given) => safeEqual(e, given)))) return refuse('bad-signature', 'no v1 value matches');
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > toleranceSeconds) return refuse('stale-timestamp', `timestamp is ${Math.round(skew)}s from now`);
  return null;
}
