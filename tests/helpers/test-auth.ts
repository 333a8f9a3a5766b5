import { SignJWT, jwtVerify } from 'jose';
import { unauthorized } from '../../src/platform/errors.ts';
import type { Authenticator, Principal, Role } from '../../src/platform/http/auth.ts';

// Test-only: the platform's authorization is exercised before (and independently of) the identity domain.
const SECRET = new TextEncoder().encode('test-only-secret-that-is-at-least-32-bytes!');

/** Signs a token the test authenticator accepts. */
export async function testToken(tenantId: string, role: Role, userId = crypto.randomUUID()): Promise<string> {
  return new SignJWT({ tid: tenantId, role }).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setJti(crypto.randomUUID()).setExpirationTime('5m').sign(SECRET);
}

/** An API key the test authenticator accepts: "test_<tenant>_<scope,scope>". */
export function testApiKey(tenantId: string, scopes: string[]): string {
  return `test_${tenantId}_${scopes.join(',')}`;
}

/** Verifies test tokens and keys. */
export const testAuthenticator = (): Authenticator => ({
  async bearer(token): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, SECRET, { algorithms: ['HS256'] });
      return { kind: 'user', tenantId: String(payload.tid), userId: String(payload.sub), role: payload.role as Role, tokenId: String(payload.jti), sessionId: 'test', expiresAt: payload.exp ?? 0 };
    } catch {
      throw unauthorized();
    }
  },
  apiKey(key): Promise<Principal> {
    const m = /^test_([0-9a-f-]{36})_(.*)$/.exec(key);
    if (!m?.[1]) return Promise.reject(unauthorized());
    return Promise.resolve({ kind: 'api_key', tenantId: m[1], keyId: `k-${m[1]}`, scopes: (m[2] ?? '').split(',').filter(Boolean) });
  },
});
