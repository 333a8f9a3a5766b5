import { unauthorized } from '../platform/errors.ts';
import type { Authenticator, Principal } from '../platform/http/auth.ts';
import { withTenant } from '../platform/tenancy.ts';
import { hashApiKey, isWellFormedApiKey } from './api-key-format.ts';
import type { IdentityDeps } from './context.ts';
import * as q from './queries.ts';
import { pepper } from './service-api-keys.ts';

const MEMBER_TTL_SECONDS = 30;
const API_KEY_TTL_SECONDS = 60;

interface MemberState { disabled: boolean; validAfter: number }

async function memberState(d: IdentityDeps, tenantId: string, userId: string): Promise<MemberState | null> {
  const key = `member:${tenantId}:${userId}`;
  const cached = await d.stores.cache.get(key);
  if (cached) return JSON.parse(cached) as MemberState | null;
  const row = await withTenant(d.db, tenantId, (trx) => q.findMembershipState(trx, userId));
  const state = row ? { disabled: row.disabled, validAfter: row.tokens_valid_after.getTime() } : null;
  await d.stores.cache.set(key, JSON.stringify(state), MEMBER_TTL_SECONDS);
  return state;
}

/**
 * Revocation: the database is the truth; the cache holds each token id's answer for the token's
 * remaining life. "ok" is only ever added (SET NX), so it cannot overwrite a "revoked" written by
 * a logout racing with this check; a flushed cache falls back to the database.
 */
async function jtiRevoked(d: IdentityDeps, tenantId: string, jti: string, sessionId: string, expiresAt: number): Promise<boolean> {
  const [cached, session] = await Promise.all([d.stores.cache.get(`jti:${jti}`), d.stores.cache.get(`sess:${sessionId}`)]);
  if (session === 'revoked') return true;
  if (cached) return cached === 'revoked';
  const revoked = await withTenant(d.db, tenantId, (trx) => q.isAccessRevoked(trx, jti, sessionId));
  const ttl = Math.max(1, expiresAt - Math.floor(Date.now() / 1000));
  if (revoked) await d.stores.cache.set(`jti:${jti}`, 'revoked', ttl);
  else await d.stores.cache.add(`jti:${jti}`, 'ok', ttl);
  return revoked;
}

/** Verifies access tokens (signature, claims, revocation, membership) and API keys (checksum, hash, expiry). */
export function createAuthenticator(d: IdentityDeps): Authenticator {
  return {
    async bearer(token): Promise<Principal> {
      const c = await d.tokens.verify(token);
      const [revoked, member] = await Promise.all([jtiRevoked(d, c.tenantId, c.jti, c.sessionId, c.expiresAt), memberState(d, c.tenantId, c.userId)]);
      if (revoked || !member || member.disabled || c.issuedAtMs < member.validAfter) throw unauthorized('The access token is invalid or expired.');
      return { kind: 'user', tenantId: c.tenantId, userId: c.userId, role: c.role, tokenId: c.jti, sessionId: c.sessionId, expiresAt: c.expiresAt };
    },
    async apiKey(key): Promise<Principal> {
      // A typo or a made-up key fails on its checksum, before any lookup.
      if (!isWellFormedApiKey(key)) throw unauthorized('The API key is invalid.');
      const hash = hashApiKey(key, pepper(d));
      const cacheKey = `apikey:${hash}`;
      let found = await d.stores.cache.get(cacheKey).then((v) => (v ? (JSON.parse(v) as { tenantId: string; id: string; scopes: string[]; expiresAt: number | null }) : null));
      if (!found) {
        const row = await d.db.transaction().execute((trx) => q.findApiKeyByHash(trx, hash));
        if (!row || row.revoked_at) throw unauthorized('The API key is invalid.');
        found = { tenantId: row.tenant_id, id: row.id, scopes: row.scopes, expiresAt: row.expires_at?.getTime() ?? null };
        await d.stores.cache.set(cacheKey, JSON.stringify(found), API_KEY_TTL_SECONDS);
      }
      if (found.expiresAt !== null && found.expiresAt <= Date.now()) throw unauthorized('The API key has expired.');
      const { tenantId, id } = found;
      // last_used_at moves at most once a minute per key: no write on every request.
      if (await d.stores.cache.add(`apikey-used:${id}`, '1', 60)) {
        withTenant(d.db, tenantId, (trx) => q.touchApiKey(trx, id)).catch((err: unknown) => d.log.warn({ err }, 'could not update last_used_at'));
      }
      return { kind: 'api_key', tenantId, keyId: id, scopes: found.scopes };
    },
  };
}
