/**
 * The envelope format of an encrypted field, version 1:
 *
 *   v1.<keyId>.<iv>.<sealed>
 *
 *   keyId   the key ring id that encrypted it (matches KEY_ID, so it never contains a dot)
 *   iv      base64url, no padding, of the 12 random bytes used as the AES-256-GCM nonce
 *   sealed  base64url, no padding, of ciphertext || 16-byte GCM tag
 *
 * The associated data (authenticated, not stored) is the UTF-8 of
 *   JSON.stringify(["v1", keyId, tenantId.toLowerCase(), table, column])
 * so a value copied to another tenant, table or column, or relabelled with another key id, fails to decrypt.
 * The tenant id is lowercased because a uuid is the same uuid in either case.
 */
import { KEY_ID } from './keys.ts';

/** Where a value lives; it is bound to the ciphertext as associated data. */
export interface FieldContext {
  tenantId: string;
  table: string;
  column: string;
}

/** The current envelope version, also the prefix every envelope starts with. */
export const ENVELOPE_VERSION = 'v1';
/** GCM's native nonce size; random per encryption, so rotate a key well before 2^32 encryptions under it. */
export const IV_BYTES = 12;
/** The full GCM tag: a truncated tag would weaken authentication. */
export const TAG_BYTES = 16;

/** Why an envelope did not decrypt. */
export type DecryptFailure = 'malformed' | 'unknown-key' | 'authentication';

/** An envelope that cannot be opened: malformed, under an unknown key, tampered with, or read in the wrong context. */
export class DecryptError extends Error {
  readonly reason: DecryptFailure;
  constructor(reason: DecryptFailure, message: string) {
    super(message);
    this.name = 'DecryptError';
    this.reason = reason;
  }
}

/** The parts of an envelope, decoded. */
export interface Envelope {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

// Node's decoder ignores characters it does not know; only canonical base64url is accepted, so an
// envelope has exactly one spelling.
function decode(part: string): Buffer | null {
  if (!BASE64URL.test(part)) return null;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : null;
}

/** Splits and decodes an envelope; throws DecryptError('malformed') for anything not in the v1 format. */
export function parseEnvelope(envelope: string): Envelope {
  const parts = envelope.split('.');
  const [version, keyId, ivPart, sealedPart] = parts;
  if (parts.length !== 4 || version !== ENVELOPE_VERSION || keyId === undefined || !KEY_ID.test(keyId)) {
    throw new DecryptError('malformed', `not a ${ENVELOPE_VERSION} field envelope`);
  }
  const iv = decode(ivPart ?? '');
  const sealed = decode(sealedPart ?? '');
  if (!iv || iv.length !== IV_BYTES || !sealed || sealed.length < TAG_BYTES) {
    throw new DecryptError('malformed', `not a ${ENVELOPE_VERSION} field envelope`);
  }
  const cut = sealed.length - TAG_BYTES;
  return { keyId, iv, ciphertext: sealed.subarray(0, cut), tag: sealed.subarray(cut) };
}

/** Writes the envelope string for the given parts. */
export function formatEnvelope(e: Envelope): string {
  const sealed = Buffer.concat([e.ciphertext, e.tag]).toString('base64url');
  return `${ENVELOPE_VERSION}.${e.keyId}.${e.iv.toString('base64url')}.${sealed}`;
}

/** The associated data binding a ciphertext to its key id, tenant, table and column. */
export function associatedData(keyId: string, ctx: FieldContext): Buffer {
  return Buffer.from(JSON.stringify([ENVELOPE_VERSION, keyId, ...contextParts(ctx)]), 'utf8');
}

/** The context as it enters associated data and blind indexes; an empty part is a programming error. */
export function contextParts(ctx: FieldContext): [string, string, string] {
  if (!ctx.tenantId || !ctx.table || !ctx.column) throw new TypeError('field encryption needs tenantId, table and column');
  return [ctx.tenantId.toLowerCase(), ctx.table, ctx.column];
}
