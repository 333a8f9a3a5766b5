import type { Config } from '../platform/config.ts';
import type { FieldCipher } from '../platform/crypto/index.ts';
import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/log.ts';
import type { Stores } from '../platform/redis.ts';

/** What the commerce services work with. */
export interface CommerceDeps {
  config: Config;
  db: Db;
  log: Logger;
  stores: Stores;
  cipher: FieldCipher;
}

/** Where customers' personal data is bound. */
export const customerCtx = (tenantId: string, column: 'email' | 'name') => ({ tenantId, table: 'customers', column });
