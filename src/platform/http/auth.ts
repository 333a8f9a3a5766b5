import type { NextFunction, Request, Response } from 'express';
import { forbidden, unauthorized } from '../errors.ts';
import type { OperationInfo } from './spec.ts';
import type { RequestLimits } from './rate-limit.ts';

export type Role = 'admin' | 'analyst' | 'viewer';

/** Who is calling: a user of a tenant (JWT) or an API client of a tenant (API key). */
export type Principal =
  | { kind: 'user'; tenantId: string; userId: string; role: Role; tokenId: string; sessionId: string; expiresAt: number }
  | { kind: 'api_key'; tenantId: string; keyId: string; scopes: string[] };

/** Turns credentials into a principal; throws a 401 AppError for anything it does not accept. */
export interface Authenticator {
  bearer(token: string): Promise<Principal>;
  apiKey(key: string): Promise<Principal>;
}

/** The authenticator of a deployment with no identity provider wired: every credential is refused. */
export const refuseAll: Authenticator = {
  bearer: () => Promise.reject(unauthorized()),
  apiKey: () => Promise.reject(unauthorized()),
};

/** A stable string for the caller: idempotency keys, audit and rate limits key on it. */
export function principalSubject(p: Principal): string {
  return p.kind === 'user' ? `user:${p.userId}` : `key:${p.keyId}`;
}

function bearerToken(req: Request): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1] ?? '';
}

/** Resolves the caller of an operation from the schemes its contract accepts; null when public. */
export async function authenticate(op: OperationInfo, req: Request, auth: Authenticator): Promise<Principal | null> {
  if (op.security.length === 0 || op.security.some((alt) => alt.length === 0)) return null;
  const schemes = new Set(op.security.flat());
  const token = schemes.has('bearerAuth') ? bearerToken(req) : null;
  const apiKey = schemes.has('apiKeyAuth') ? req.headers['x-api-key'] : undefined;
  if (token !== null) {
    if (token === '') throw unauthorized('The Authorization header must be "Bearer <token>".');
    return auth.bearer(token);
  }
  if (typeof apiKey === 'string' && apiKey.length > 0) return auth.apiKey(apiKey);
  throw unauthorized();
}

/** Checks a principal against the operation's `x-roles` (users) or `x-scopes` (API keys). */
export function authorize(op: OperationInfo, principal: Principal): void {
  if (principal.kind === 'user') {
    if (!op.roles.includes(principal.role)) throw forbidden(`The ${principal.role} role may not call ${op.operationId}.`);
  } else if (!op.scopes.some((s) => principal.scopes.includes(s))) {
    throw forbidden(`This API key lacks the scope ${op.operationId} needs (${op.scopes.join(' or ') || 'none granted to keys'}).`);
  }
}

/** Express middleware for one operation: authenticate, authorize, and leave the principal in res.locals. */
export function authMiddleware(op: OperationInfo, auth: Authenticator, limits?: RequestLimits) {
  return (req: Request, res: Response, next: NextFunction): void => {
    (async () => {
      const principal = await authenticate(op, req, auth);
      if (principal) {
        // Limits count every authenticated call, allowed or not, before authorization says no.
        if (limits) res.set(await limits(principal));
        authorize(op, principal);
      }
      res.locals.principal = principal;
    })().then(() => next(), next);
  };
}
