import { createHmac, type KeyObject } from 'node:crypto';
import { contextParts, type FieldContext } from './envelope.ts';

/** How a value is normalized before indexing: equal after normalization means equal index. */
export type BlindIndexNormalization = 'email' | 'exact';

/** The normalized form of a value: NFKC for both; emails are also trimmed and lowercased. */
export function normalizeForIndex(value: string, normalize: BlindIndexNormalization): string {
  const nfkc = value.normalize('NFKC');
  // Lowercasing the local part is not RFC 5321 strict, but no real mailbox differs only by case
  // and users type their address in every case; NFKC first so full-width letters fold too.
  return normalize === 'email' ? nfkc.trim().toLowerCase() : nfkc;
}

/**
 * HMAC-SHA256, hex, of the normalized value under the blind-index key, domain-separated by tenant,
 * table and column so one email in two tenants (or two columns) gives two unrelated indexes.
 * The message is JSON.stringify(["v1", tenantId.toLowerCase(), table, column, normalized]).
 * The key cannot rotate in place: a new key means recomputing every index from the decrypted values.
 */
export function computeBlindIndex(key: KeyObject, value: string, normalize: BlindIndexNormalization, ctx: FieldContext): string {
  const message = JSON.stringify(['v1', ...contextParts(ctx), normalizeForIndex(value, normalize)]);
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}
