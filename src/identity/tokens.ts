import { createHash, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, exportJWK, jwtVerify, type JWK } from 'jose';
import type { AuthConfig } from '../platform/config.ts';
import { unauthorized } from '../platform/errors.ts';
import type { Role } from '../platform/http/auth.ts';

/** The claims of a verified access token. */
export interface AccessClaims {
  userId: string;
  tenantId: string;
  role: Role;
  jti: string;
  sessionId: string;
  /** Milliseconds: compared with a membership's tokens_valid_after, which is finer than a second. */
  issuedAtMs: number;
  expiresAt: number;
}

/** Signs and verifies access tokens with the one configured algorithm. */
export interface TokenService {
  readonly accessTtlSeconds: number;
  sign(c: { userId: string; tenantId: string; role: Role; sessionId: string }): Promise<{ token: string; jti: string; expiresAt: number }>;
  verify(token: string): Promise<AccessClaims>;
  jwks(): Promise<{ keys: (JWK & { kty: string })[] }>;
}

const CLOCK_SKEW_SECONDS = 30;
const ROLES: readonly string[] = ['admin', 'analyst', 'viewer'];
// Development only: a fixed secret so tokens survive restarts of a local embedded install.
const DEV_SECRET = 'tideline-development-only-jwt-secret-do-not-use-in-production';

function keys(cfg: AuthConfig): { signKey: KeyObject; verifyKey: KeyObject; kid: string } {
  if (cfg.jwtAlgorithm === 'EdDSA') {
    // Without a configured key a development key pair is made per process; tokens die with it.
    const privateKey = cfg.jwtPrivateKeyPem ? createPrivateKey(cfg.jwtPrivateKeyPem) : createPrivateKey(generateDevEd25519());
    const publicKey = createPublicKey(privateKey);
    const kid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 16);
    return { signKey: privateKey, verifyKey: publicKey, kid };
  }
  const secret = createSecretKey(Buffer.from(cfg.jwtSecret ?? DEV_SECRET));
  return { signKey: secret, verifyKey: secret, kid: 'hs256' };
}

function generateDevEd25519(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Builds the token service from configuration. */
export function createTokenService(cfg: AuthConfig): TokenService {
  const { signKey, verifyKey, kid } = keys(cfg);
  const alg = cfg.jwtAlgorithm;
  return {
    accessTtlSeconds: cfg.accessTokenTtlSeconds,
    async sign(c) {
      const jti = randomUUID();
      const now = Math.floor(Date.now() / 1000);
      const expiresAt = now + cfg.accessTokenTtlSeconds;
      const token = await new SignJWT({ tid: c.tenantId, role: c.role, sid: c.sessionId, iat_ms: Date.now() })
        .setProtectedHeader({ alg, typ: 'at+jwt', kid })
        .setIssuer(cfg.jwtIssuer)
        .setAudience(cfg.jwtAudience)
        .setSubject(c.userId)
        .setJti(jti)
        .setIssuedAt(now)
        .setExpirationTime(expiresAt)
        .sign(signKey);
      return { token, jti, expiresAt };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, verifyKey, {
          algorithms: [alg],
          issuer: cfg.jwtIssuer,
          audience: cfg.jwtAudience,
          typ: 'at+jwt',
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['sub', 'jti', 'exp', 'iat'],
        });
        const { tid, role, sid, iat_ms: iatMs } = payload as { tid?: unknown; role?: unknown; sid?: unknown; iat_ms?: unknown };
        if (typeof tid !== 'string' || typeof role !== 'string' || !ROLES.includes(role) || typeof sid !== 'string' || typeof iatMs !== 'number') throw new Error('claims');
        return { userId: payload.sub ?? '', tenantId: tid, role: role as Role, jti: payload.jti ?? '', sessionId: sid, issuedAtMs: iatMs, expiresAt: payload.exp ?? 0 };
      } catch {
        // One answer for every failure: a client learns nothing from which check it failed.
        throw unauthorized('The access token is invalid or expired.');
      }
    },
    async jwks() {
      if (alg !== 'EdDSA') return { keys: [] };
      const jwk = await exportJWK(verifyKey);
      return { keys: [{ ...jwk, kty: jwk.kty ?? 'OKP', kid, alg, use: 'sig' }] };
    },
  };
}

/** A refresh token: 256 random bits, with the tenant in front so its row is found under that tenant's RLS. */
export function newRefreshToken(tenantId: string): string {
  return `tlr_${tenantId.replaceAll('-', '')}_${randomBytes(32).toString('base64url')}`;
}

/** The tenant a refresh token belongs to, or null when it is not shaped like one. */
export function refreshTokenTenant(token: string): string | null {
  const m = /^tlr_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/.exec(token);
  if (!m?.[1]) return null;
  const h = m[1];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Refresh tokens are stored as SHA-256: 256 random bits need no slow hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
