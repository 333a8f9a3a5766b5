import type { LimitConfig } from '../config.ts';
import { tooManyRequests } from '../errors.ts';
import { resetSeconds, type RateDecision, type Stores } from '../redis.ts';
import type { Principal } from './auth.ts';

/** Applies the per-tenant and per-API-key request limits to a caller; returns the IETF headers to send. */
export type RequestLimits = (p: Principal) => Promise<Record<string, string>>;

// Structured-field headers of draft-ietf-httpapi-ratelimit-headers: one policy item per limit.
function headers(entries: [string, RateDecision, number][]): Record<string, string> {
  return {
    'RateLimit-Policy': entries.map(([name, d, w]) => `"${name}";q=${d.limit};w=${w}`).join(', '),
    RateLimit: entries.map(([name, d]) => `"${name}";r=${d.remaining};t=${resetSeconds(d)}`).join(', '),
  };
}

/** Builds the limiter from configuration; shared through Redis when configured. */
export function createRequestLimits(stores: Stores, limits: LimitConfig): RequestLimits {
  const tenant = stores.limiter('req-tenant', limits.tenantPerMinute, 60);
  const key = stores.limiter('req-key', limits.apiKeyPerMinute, 60);
  return async (p) => {
    const entries: [string, RateDecision, number][] = [['tenant', await tenant.consume(p.tenantId), 60]];
    if (p.kind === 'api_key') entries.push(['api-key', await key.consume(p.keyId), 60]);
    const h = headers(entries);
    const denied = entries.filter(([, d]) => !d.allowed);
    if (denied.length > 0) throw tooManyRequests(Math.max(...denied.map(([, d]) => resetSeconds(d))), h);
    return h;
  };
}
