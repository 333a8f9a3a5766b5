/** Field encryption of personal data: the module's public entry; other code imports only this file. */
export { FieldCipher } from './field-cipher.ts';
export { DecryptError, ENVELOPE_VERSION, type DecryptFailure, type FieldContext } from './envelope.ts';
export { normalizeForIndex, type BlindIndexNormalization } from './blind-index.ts';
export {
  DEV_KEY_ID,
  KeyConfigError,
  devBlindIndexKey,
  devKeyRing,
  parseBlindIndexKey,
  parseKeyRing,
  type KeyRing,
} from './keys.ts';
export { reencryptBatch, reencryptTenant, type EncryptedColumn, type ReencryptReport } from './reencrypt.ts';
