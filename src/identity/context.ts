import type { Config } from '../platform/config.ts';
import type { FieldCipher } from '../platform/crypto/index.ts';
import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/log.ts';
import type { Stores } from '../platform/redis.ts';
import type { PasswordHasher } from './passwords.ts';
import type { TokenService } from './tokens.ts';

/** What the identity services work with. */
export interface IdentityDeps {
  config: Config;
  db: Db;
  log: Logger;
  stores: Stores;
  cipher: FieldCipher;
  hasher: PasswordHasher;
  tokens: TokenService;
}

/** Who did it and from where: every audited action carries this. */
export interface RequestMeta {
  actorType: 'user' | 'api_key' | 'system' | 'anonymous';
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

// Accounts are global (one can join several tenants), so their email is bound to this fixed context.
export const ACCOUNT_EMAIL = { tenantId: '00000000-0000-0000-0000-000000000000', table: 'users', column: 'email' } as const;
