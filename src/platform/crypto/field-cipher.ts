/**
 * Field encryption of personal data. The cryptography is node:crypto's AES-256-GCM (OpenSSL), the
 * well-kept library; only the envelope around it (version, key id, IV, AAD layout, see envelope.ts)
 * is written here, because no package offers this small format without bringing its own key
 * management and storage assumptions.
 */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { computeBlindIndex, type BlindIndexNormalization } from './blind-index.ts';
import {
  DecryptError,
  IV_BYTES,
  TAG_BYTES,
  associatedData,
  formatEnvelope,
  parseEnvelope,
  type FieldContext,
} from './envelope.ts';
import { KeyConfigError, type KeyRing } from './keys.ts';

const ALGORITHM = 'aes-256-gcm';

/** Encrypts, decrypts and re-encrypts field envelopes over a key ring, and computes blind indexes. */
export class FieldCipher {
  // Private fields: key material is unreachable from outside and absent from util.inspect output.
  readonly #ring: KeyRing;
  readonly #activeKey: KeyObject;
  readonly #blindIndexKey: KeyObject;

  constructor(ring: KeyRing, blindIndexKey: KeyObject) {
    for (const [id, key] of ring.keys) {
      // Reusing an encryption key as the HMAC key would tie two unrelated uses together.
      if (key.equals(blindIndexKey)) throw new KeyConfigError(`BLIND_INDEX_KEY must differ from FIELD_ENCRYPTION_KEYS key "${id}"`);
    }
    const active = ring.keys.get(ring.activeId);
    if (!active) throw new KeyConfigError(`the active key "${ring.activeId}" is not in the key ring`);
    this.#ring = ring;
    this.#activeKey = active;
    this.#blindIndexKey = blindIndexKey;
  }

  /** The id of the key new envelopes are written under. */
  get activeKeyId(): string {
    return this.#ring.activeId;
  }

  /** Encrypts a value under the active key, bound to its tenant, table and column. */
  encrypt(plaintext: string, ctx: FieldContext): string {
    // A lone surrogate would come back as U+FFFD: refuse it rather than not round-trip.
    if (!plaintext.isWellFormed()) throw new TypeError('field encryption needs well-formed Unicode text');
    const keyId = this.#ring.activeId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#activeKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(keyId, ctx));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return formatEnvelope({ keyId, iv, ciphertext, tag: cipher.getAuthTag() });
  }

  /** Decrypts an envelope; throws DecryptError when it is malformed, under an unknown key, tampered with or in another context. */
  decrypt(envelope: string, ctx: FieldContext): string {
    const e = parseEnvelope(envelope);
    const key = this.#ring.keys.get(e.keyId);
    if (!key) throw new DecryptError('unknown-key', `no key "${e.keyId}" in FIELD_ENCRYPTION_KEYS`);
    const decipher = createDecipheriv(ALGORITHM, key, e.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(e.keyId, ctx));
    decipher.setAuthTag(e.tag);
    try {
      return Buffer.concat([decipher.update(e.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // GCM cannot tell tampering from a wrong tenant/table/column: both are a failed tag check.
      throw new DecryptError('authentication', 'field envelope failed authentication (tampered, or read in another tenant, table or column)');
    }
  }

  /** True when an envelope is not under the active key; throws DecryptError('malformed') for a non-envelope. */
  needsReencrypt(envelope: string): boolean {
    return parseEnvelope(envelope).keyId !== this.#ring.activeId;
  }

  /** The envelope under the active key; one already under it is checked and returned unchanged. */
  reencrypt(envelope: string, ctx: FieldContext): string {
    const plaintext = this.decrypt(envelope, ctx);
    return this.needsReencrypt(envelope) ? this.encrypt(plaintext, ctx) : envelope;
  }

  /** A deterministic, tenant/table/column-separated HMAC of the normalized value, for equality lookups on encrypted columns. */
  blindIndex(value: string, normalize: BlindIndexNormalization, ctx: FieldContext): string {
    return computeBlindIndex(this.#blindIndexKey, value, normalize, ctx);
  }
}
