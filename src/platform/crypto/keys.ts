/**
 * Key material for field encryption, read from the environment:
 *
 *   FIELD_ENCRYPTION_KEYS = id:base64key[,id:base64key...]   each key exactly 32 bytes (AES-256);
 *                            the LAST entry is the active key (it encrypts), every entry decrypts.
 *                            Rotate by appending a new entry; drop an old one only after the
 *                            re-encryption job has moved every value off it.
 *   BLIND_INDEX_KEY        = base64, at least 32 bytes, never one of the encryption keys.
 *
 * Generate a key with `openssl rand -base64 32`. Keys live in KeyObjects so that logging a config
 * object prints `SecretKeyObject { symmetricKeySize: 32 }`, never the bytes.
 */
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

/** The encryption keys: the active one encrypts, any of them decrypts. */
export interface KeyRing {
  /** The id of the key that encrypts: the last entry of FIELD_ENCRYPTION_KEYS. */
  readonly activeId: string;
  /** Every key that may decrypt, by id, in configuration order. */
  readonly keys: ReadonlyMap<string, KeyObject>;
}

/** A malformed key variable; the message names the variable and never contains key material. */
export class KeyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyConfigError';
  }
}

/** What a key id may look like: it is written into every envelope, so no dots and kept short. */
export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

const AES_KEY_BYTES = 32;
const MIN_BLIND_KEY_BYTES = 32;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// Buffer.from(s, 'base64') skips characters it does not know, so a typo would silently make a
// different (shorter) key; insist on canonical standard base64 instead.
function decodeBase64(raw: string): Buffer | null {
  if (raw === '' || !BASE64.test(raw)) return null;
  const bytes = Buffer.from(raw, 'base64');
  return bytes.toString('base64') === raw ? bytes : null;
}

/** Parses FIELD_ENCRYPTION_KEYS (`id:base64key,...`, last entry active); throws KeyConfigError naming it. */
export function parseKeyRing(value: string): KeyRing {
  const name = 'FIELD_ENCRYPTION_KEYS';
  if (value.trim() === '') throw new KeyConfigError(`${name} must list at least one id:base64key entry`);
  const entries: [string, Buffer][] = [];
  value.split(',').forEach((rawEntry, i) => {
    const entry = rawEntry.trim();
    const where = `${name} entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new KeyConfigError(`${where} must be id:base64key`);
    const id = entry.slice(0, colon);
    if (!KEY_ID.test(id)) throw new KeyConfigError(`${where}: key id "${id.slice(0, 40)}" must match ${KEY_ID.source}`);
    const key = decodeBase64(entry.slice(colon + 1));
    if (!key) throw new KeyConfigError(`${where} (id "${id}"): key is not valid base64 (use \`openssl rand -base64 32\`)`);
    if (key.length !== AES_KEY_BYTES) {
      throw new KeyConfigError(`${where} (id "${id}"): key must decode to ${AES_KEY_BYTES} bytes (got ${key.length})`);
    }
    const same = entries.find(([otherId, other]) => otherId === id || other.equals(key));
    if (same?.[0] === id) throw new KeyConfigError(`${name}: key id "${id}" is listed twice`);
    // Two ids for one key is a rotation that rotated nothing: almost surely a copy-paste slip.
    if (same) throw new KeyConfigError(`${name}: keys "${same[0]}" and "${id}" are the same key`);
    entries.push([id, key]);
  });
  return ringOf(entries);
}

/** Parses BLIND_INDEX_KEY (base64, 32 bytes or more); throws KeyConfigError naming it. */
export function parseBlindIndexKey(value: string): KeyObject {
  const name = 'BLIND_INDEX_KEY';
  const key = decodeBase64(value.trim());
  if (!key) throw new KeyConfigError(`${name} must be base64 (use \`openssl rand -base64 32\`)`);
  if (key.length < MIN_BLIND_KEY_BYTES) {
    throw new KeyConfigError(`${name} must decode to at least ${MIN_BLIND_KEY_BYTES} bytes (got ${key.length})`);
  }
  return createSecretKey(key);
}

/** The id of the development key, so a developer can keep decrypting old local data after configuring real keys. */
export const DEV_KEY_ID = 'dev';

// Derived from a published label: anyone can recompute these keys, which is the point for
// development and tests (stable across restarts, nothing to configure) and why production must not use them.
function devKey(purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', 'tideline DEVELOPMENT ONLY - not secret', '', purpose, 32));
}

/** DEVELOPMENT/TEST ONLY: a fixed, publicly derivable key ring for when FIELD_ENCRYPTION_KEYS is unset. */
export function devKeyRing(): KeyRing {
  return ringOf([[DEV_KEY_ID, devKey('FIELD_ENCRYPTION_KEYS')]]);
}

/** DEVELOPMENT/TEST ONLY: a fixed, publicly derivable blind-index key for when BLIND_INDEX_KEY is unset. */
export function devBlindIndexKey(): KeyObject {
  return createSecretKey(devKey('BLIND_INDEX_KEY'));
}

function ringOf(entries: readonly [string, Buffer][]): KeyRing {
  const last = entries.at(-1);
  if (!last) throw new KeyConfigError('a key ring needs at least one key');
  return { activeId: last[0], keys: new Map(entries.map(([id, key]) => [id, createSecretKey(key)])) };
}
