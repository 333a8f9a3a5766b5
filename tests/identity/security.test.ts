import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, createApiKeyAs, createUserAs, expectStatus, signUpTenant, type Problem, type SignedUpTenant } from '../helpers/identity.ts';

// The fixed development secret of src/identity/tokens.ts, used when JWT_SECRET is unset. Copied on
// purpose: if it changes, the positive control below fails and says so, instead of every
// negative case passing for the wrong reason.
const DEV_SECRET = 'tideline-development-only-jwt-secret-do-not-use-in-production';

interface Forge {
  alg?: 'HS256' | 'HS512';
  typ?: string;
  iss?: string;
  aud?: string;
  exp?: number;
  iat?: number;
  claims?: Record<string, unknown>;
}

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

describe('identity: security of tokens, keys and roles', () => {
  let h: Harness;
  let t: SignedUpTenant;
  let secret: Uint8Array;

  /** A token signed with the server's own secret: valid unless an override breaks it. */
  async function forge(f: Forge = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ tid: t.tenantId, role: 'admin', sid: randomUUID(), iat_ms: Date.now(), ...f.claims })
      .setProtectedHeader({ alg: f.alg ?? 'HS256', typ: f.typ ?? 'at+jwt', kid: 'hs256' })
      .setIssuer(f.iss ?? h.config.auth.jwtIssuer)
      .setAudience(f.aud ?? h.config.auth.jwtAudience)
      .setSubject(t.adminUserId)
      .setJti(randomUUID())
      .setIssuedAt(f.iat ?? now)
      .setExpirationTime(f.exp ?? now + 300)
      .sign(secret);
  }

  async function expect401(token: string, what: string): Promise<Problem> {
    const res = await api<Problem>(h, 'GET', '/users', { token });
    expectStatus(res, 401, what);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    return res.body;
  }

  before(async function () {
    h = await harness();
    if (h.config.auth.jwtAlgorithm !== 'HS256') this.skip();
    secret = new TextEncoder().encode(h.config.auth.jwtSecret ?? DEV_SECRET);
    t = await signUpTenant(h);
  });

  it('accepts a token forged with the right secret and claims (the control for the cases below)', async () => {
    expectStatus(await api(h, 'GET', '/users', { token: await forge() }), 200);
  });

  it('refuses alg "none"', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = new UnsecuredJWT({ tid: t.tenantId, role: 'admin', sid: randomUUID(), iat_ms: Date.now() })
      .setIssuer(h.config.auth.jwtIssuer).setAudience(h.config.auth.jwtAudience).setSubject(t.adminUserId)
      .setJti(randomUUID()).setIssuedAt(now).setExpirationTime(now + 300).encode();
    await expect401(unsigned, 'alg none');
    // The same with the typ header a real token has.
    const [, payload] = unsigned.split('.');
    await expect401(`${b64({ alg: 'none', typ: 'at+jwt' })}.${payload ?? ''}.`, 'alg none with typ');
  });

  it('refuses HS512 even when signed with the right secret', async () => {
    await expect401(await forge({ alg: 'HS512' }), 'HS512');
  });

  it('refuses a tampered signature, and a tampered payload under the original signature', async () => {
    const token = await forge();
    const [header, payload, sig] = token.split('.') as [string, string, string];
    // Change a character in the middle: the last one can carry only padding bits.
    const i = Math.floor(sig.length / 2);
    const flipped = sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1);
    await expect401(`${header}.${payload}.${flipped}`, 'tampered signature');
    await expect401(`${header}.${payload}.`, 'no signature');

    const u = await createUserAs(h, t.adminToken, 'viewer');
    const [vh, , vs] = u.token.split('.') as [string, string, string];
    const escalated = b64({ ...decodeJwt(u.token), role: 'admin' });
    await expect401(`${vh}.${escalated}.${vs}`, 'viewer token edited to admin');
  });

  it('refuses a wrong issuer, audience or type, and missing claims', async () => {
    await expect401(await forge({ iss: 'someone-else' }), 'wrong iss');
    await expect401(await forge({ aud: 'another-api' }), 'wrong aud');
    await expect401(await forge({ typ: 'JWT' }), 'wrong typ');
    await expect401(await forge({ claims: { role: 'owner' } }), 'unknown role');
    await expect401(await forge({ claims: { tid: undefined } }), 'no tenant');
    await expect401(await forge({ claims: { iat_ms: undefined } }), 'no iat_ms');
  });

  it('refuses an expired token beyond the 30 s clock skew, and accepts one within it', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(await forge({ iat: now - 1000, exp: now - 60 }), 'expired 60 s ago');
    expectStatus(await api(h, 'GET', '/users', { token: await forge({ iat: now - 1000, exp: now - 5 }) }), 200, 'expired 5 s ago, within the skew');
  });

  it('refuses a token naming a tenant its user is no member of', async () => {
    const other = await signUpTenant(h);
    await expect401(await forge({ claims: { tid: other.tenantId } }), 'the admin is no member of that tenant');
  });

  it('answers every bad token with one and the same problem', async () => {
    const a = await expect401(await forge({ alg: 'HS512' }), 'HS512');
    const b = await expect401(await forge({ iss: 'x' }), 'iss');
    const c = await expect401('not.a.jwt', 'garbage');
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
  });

  it('refuses a malformed Authorization header', async () => {
    const res = await fetch(`${h.url}/users`, { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(res.status, 401);
  });

  it('refuses a revoked API key (401) and a key with a bad checksum (401)', async () => {
    const k = await createApiKeyAs(h, t.adminToken, ['identity:admin']);
    expectStatus(await api(h, 'GET', '/users', { apiKey: k.key }), 200);
    expectStatus(await api(h, 'DELETE', `/api-keys/${k.id}`, { token: t.adminToken }), 204);
    expectStatus(await api(h, 'GET', '/users', { apiKey: k.key }), 401, 'revoked key');

    const live = await createApiKeyAs(h, t.adminToken, ['identity:admin']);
    const body = live.key.slice('tl_live_'.length, 'tl_live_'.length + 32);
    const i = 10;
    const typo = `tl_live_${body.slice(0, i)}${body[i] === 'x' ? 'y' : 'x'}${body.slice(i + 1)}${live.key.slice('tl_live_'.length + 32)}`;
    assert.notEqual(typo, live.key);
    expectStatus(await api(h, 'GET', '/users', { apiKey: typo }), 401, 'bad checksum');
    expectStatus(await api(h, 'GET', '/users', { apiKey: 'tl_live_short' }), 401, 'malformed');
    expectStatus(await api(h, 'GET', '/users', { apiKey: live.key }), 200, 'the genuine key');
  });

  it('refuses a key without the operation’s scope with 403', async () => {
    const k = await createApiKeyAs(h, t.adminToken, ['analytics:read', 'diagnostics:admin']);
    const res = await api<Problem>(h, 'GET', '/users', { apiKey: k.key });
    expectStatus(res, 403);
    expectStatus(await api(h, 'POST', '/api-keys', { apiKey: k.key, body: { name: 'escalate', scopes: ['identity:admin'] } }), 403);
    const keys = await h.owner.selectFrom('api_keys').select('id').where('tenant_id', '=', t.tenantId).where('name', '=', 'escalate').execute();
    assert.equal(keys.length, 0);
  });

  it('API keys cannot call user-only session operations', async () => {
    const k = await createApiKeyAs(h, t.adminToken, ['identity:admin']);
    expectStatus(await api(h, 'GET', '/auth/me', { apiKey: k.key }), 401);
    expectStatus(await api(h, 'POST', '/auth/logout', { apiKey: k.key }), 401);
  });

  for (const role of ['viewer', 'analyst'] as const) {
    it(`refuses the ${role} role on admin operations with 403 and changes nothing`, async () => {
      const u = await createUserAs(h, t.adminToken, role);
      expectStatus(await api(h, 'GET', '/users', { token: u.token }), 403);
      expectStatus(await api(h, 'GET', `/users/${t.adminUserId}`, { token: u.token }), 403);
      expectStatus(await api(h, 'GET', '/api-keys', { token: u.token }), 403);
      expectStatus(await api(h, 'GET', '/audit-events', { token: u.token }), 403);
      expectStatus(await api(h, 'PATCH', `/users/${u.userId}`, { token: u.token, body: { role: 'admin' } }), 403, 'self-promotion');
      expectStatus(await api(h, 'POST', '/api-keys', { token: u.token, body: { name: 'mine', scopes: ['identity:admin'] } }), 403);
      expectStatus(await api(h, 'DELETE', `/users/${t.adminUserId}`, { token: u.token }), 403);
      const m = await h.owner.selectFrom('memberships').select('role').where('tenant_id', '=', t.tenantId).where('user_id', '=', u.userId).executeTakeFirstOrThrow();
      assert.equal(m.role, role);
      const admin = await h.owner.selectFrom('memberships').select('user_id').where('tenant_id', '=', t.tenantId).where('user_id', '=', t.adminUserId).execute();
      assert.equal(admin.length, 1);
      expectStatus(await api(h, 'GET', '/auth/me', { token: u.token }), 200, 'a user operation still works');
    });
  }
});
