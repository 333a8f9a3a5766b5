/** Setup calls against a running Tideline over HTTP: a tenant with its admin, API keys. */
import { randomBytes } from 'node:crypto';

/** A parsed JSON answer and its status. */
export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
}

/** Sends a JSON request with a bearer token or an API key; the body comes back parsed (empty object for none). */
export async function apiJson(base: string, method: string, path: string, opts: { token?: string; apiKey?: string; body?: unknown } = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.apiKey) headers['X-API-Key'] = opts.apiKey;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Fails with the answer unless it has the expected status. */
export function expectStatus(res: JsonResponse, status: number, what: string): Record<string, unknown> {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

function field(o: unknown, ...keys: string[]): string {
  let v: unknown = o;
  for (const k of keys) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  if (typeof v !== 'string') throw new Error(`answer has no ${keys.join('.')}`);
  return v;
}

/** A tenant made by `POST /signup`, with its admin's access token. */
export interface BenchTenant {
  tenantId: string;
  slug: string;
  token: string;
}

/** Signs up a fresh tenant with a random slug. */
export async function signUpTenant(api: string): Promise<BenchTenant> {
  const tag = randomBytes(5).toString('hex');
  const slug = `bench-${tag}`;
  const body = expectStatus(await apiJson(api, 'POST', '/signup', {
    body: { tenant_slug: slug, tenant_name: `Bench ${tag}`, email: `admin-${tag}@bench.test`, password: `pw-${randomBytes(12).toString('base64url')}` },
  }), 201, 'sign-up');
  return { tenantId: field(body, 'tenant', 'id'), slug, token: field(body, 'access_token') };
}

/** Creates an API key with these scopes as the tenant's admin; answers its secret. */
export async function createApiKey(api: string, token: string, scopes: string[]): Promise<string> {
  const body = expectStatus(await apiJson(api, 'POST', '/api-keys', { token, body: { name: `bench-${randomBytes(3).toString('hex')}`, scopes } }), 201, 'create API key');
  return field(body, 'key');
}
