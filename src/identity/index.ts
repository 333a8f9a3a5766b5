import type { Domain } from '../platform/domain.ts';
import type { Authenticator } from '../platform/http/auth.ts';
import type { Platform } from '../platform/runtime.ts';
import { createAuthenticator } from './authenticator.ts';
import { ACCOUNT_EMAIL, type IdentityDeps } from './context.ts';
import { createPasswordHasher } from './passwords.ts';
import { identityRoutes } from './routes.ts';
import { seedDemo } from './seed.ts';
import { createTokenService } from './tokens.ts';

const cache = new WeakMap<Platform, IdentityDeps>();

/** The identity services of a platform, built once per platform. */
export function identityDeps(p: Platform): IdentityDeps {
  let d = cache.get(p);
  if (!d) {
    d = { config: p.config, db: p.db, log: p.log, stores: p.stores, cipher: p.cipher, hasher: createPasswordHasher(p.config.auth), tokens: createTokenService(p.config.auth) };
    cache.set(p, d);
  }
  return d;
}

/** Verifies the bearer tokens and API keys of every request. */
export function identityAuthenticator(p: Platform): Authenticator {
  return createAuthenticator(identityDeps(p));
}

/** Tenants, users, sessions, API keys, audit. */
export const identityDomain: Domain = {
  name: 'identity',
  routes: (p) => identityRoutes(identityDeps(p)),
  queues: [],
  // Account emails are bound to no tenant; row-level security shows a tenant its members' rows.
  encrypted: [{ table: 'users', column: 'email_ciphertext', aadColumn: ACCOUNT_EMAIL.column, aadTenantId: ACCOUNT_EMAIL.tenantId, idColumn: 'id', tenantColumn: null }],
  start: async (p) => {
    if (p.demoSeed) await seedDemo(identityDeps(p));
  },
};

export { ACCOUNT_EMAIL, type RequestMeta } from './context.ts';
export { recordAudit } from './audit.ts';
export { metaOf } from './routes.ts';
