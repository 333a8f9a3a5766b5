import type { HandlerContext, OperationId } from '../platform/http/handler.ts';
import { routes } from '../platform/http/handler.ts';
import type { Principal } from '../platform/http/auth.ts';
import type { IdentityDeps, RequestMeta } from './context.ts';
import * as apiKeys from './service-api-keys.ts';
import * as sessions from './service-sessions.ts';
import * as users from './service-users.ts';
import { listAudit } from './audit.ts';
import { unauthorized } from '../platform/errors.ts';

/** The audit metadata of a request. */
export function metaOf<K extends OperationId>(ctx: HandlerContext<K>): RequestMeta {
  const p = ctx.principal;
  return {
    actorType: p ? (p.kind === 'user' ? 'user' : 'api_key') : 'anonymous',
    actorId: p ? (p.kind === 'user' ? p.userId : p.keyId) : null,
    ip: ctx.ip || null,
    userAgent: ctx.userAgent ?? null,
    requestId: ctx.requestId,
  };
}

/** The authenticated caller; the authorization middleware guarantees one on secured operations. */
function caller(p: Principal | null): Principal {
  if (!p) throw unauthorized();
  return p;
}

function user(p: Principal | null): Extract<Principal, { kind: 'user' }> {
  const c = caller(p);
  if (c.kind !== 'user') throw unauthorized('This operation needs a user access token.');
  return c;
}

/** Sign-up, sessions, users, API keys and the audit log. */
export function identityRoutes(d: IdentityDeps) {
  return routes({
    signUp: async (ctx) => ({ status: 201, body: await sessions.signUp(d, ctx.body, metaOf(ctx)) }),
    login: async (ctx) => ({ status: 200, body: await sessions.login(d, ctx.body, metaOf(ctx)), headers: { 'Cache-Control': 'no-store' } }),
    refreshSession: async (ctx) => ({ status: 200, body: await sessions.refresh(d, ctx.body.refresh_token, metaOf(ctx)), headers: { 'Cache-Control': 'no-store' } }),
    logout: async (ctx) => {
      const u = user(ctx.principal);
      await sessions.logout(d, { tenantId: u.tenantId, userId: u.userId, tokenId: u.tokenId, sessionId: u.sessionId, expiresAt: u.expiresAt }, metaOf(ctx));
      return { status: 204 };
    },
    getMe: async (ctx) => {
      const u = user(ctx.principal);
      return { status: 200, body: await sessions.me(d, u.tenantId, u.userId) };
    },
    getJwks: async () => ({ status: 200, body: await d.tokens.jwks(), headers: { 'Cache-Control': 'public, max-age=300' } }),
    createUser: async (ctx) => ({ status: 201, body: await users.createUser(d, caller(ctx.principal).tenantId, ctx.body, metaOf(ctx)) }),
    listUsers: async (ctx) => ({ status: 200, body: await users.listUsers(d, caller(ctx.principal).tenantId, ctx.query) }),
    getUser: async (ctx) => ({ status: 200, body: await users.getUser(d, caller(ctx.principal).tenantId, ctx.params.userId) }),
    updateUser: async (ctx) => ({ status: 200, body: await users.updateUser(d, caller(ctx.principal).tenantId, ctx.params.userId, ctx.body, metaOf(ctx)) }),
    deleteUser: async (ctx) => {
      await users.deleteUser(d, caller(ctx.principal).tenantId, ctx.params.userId, metaOf(ctx));
      return { status: 204 };
    },
    createApiKey: async (ctx) => ({ status: 201, body: await apiKeys.createApiKey(d, caller(ctx.principal).tenantId, ctx.body, metaOf(ctx)), headers: { 'Cache-Control': 'no-store' } }),
    listApiKeys: async (ctx) => ({ status: 200, body: await apiKeys.listApiKeys(d, caller(ctx.principal).tenantId, ctx.query) }),
    getApiKey: async (ctx) => ({ status: 200, body: await apiKeys.getApiKey(d, caller(ctx.principal).tenantId, ctx.params.keyId) }),
    revokeApiKey: async (ctx) => {
      await apiKeys.revokeApiKey(d, caller(ctx.principal).tenantId, ctx.params.keyId, metaOf(ctx));
      return { status: 204 };
    },
    listAuditEvents: async (ctx) => ({ status: 200, body: await listAudit(d, caller(ctx.principal).tenantId, ctx.query) }),
  });
}
