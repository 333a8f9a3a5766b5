import { argon2id, hash, needsRehash, verify, type HashOptions } from 'argon2';
import type { AuthConfig } from '../platform/config.ts';

/** argon2id with the configured cost (OWASP: m=19 MiB, t=2, p=1), stored as PHC strings. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Verifies; a hash made with other parameters is reported so the caller can store a fresh one. */
  verify(hash: string, password: string): Promise<{ ok: boolean; rehash: boolean }>;
  /** Spends the same time as a real verification, for logins of unknown accounts. */
  verifyDummy(password: string): Promise<void>;
}

export const MIN_PASSWORD_LENGTH = 12;

/** Builds the hasher; its dummy hash is made once so unknown logins cost the same as wrong passwords. */
export function createPasswordHasher(cfg: AuthConfig): PasswordHasher {
  const options: HashOptions = { type: argon2id, memoryCost: cfg.argon2MemoryKib, timeCost: cfg.argon2TimeCost, parallelism: cfg.argon2Parallelism };
  let dummy: Promise<string> | null = null;
  return {
    hash: (password) => hash(password, options),
    async verify(stored, password) {
      const ok = await verify(stored, password).catch(() => false);
      return { ok, rehash: ok && needsRehash(stored, options) };
    },
    async verifyDummy(password) {
      dummy ??= hash('dummy password for timing equality', options);
      await verify(await dummy, password).catch(() => false);
    },
  };
}
