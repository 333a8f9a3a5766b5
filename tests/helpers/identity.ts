/**
 * Identity test helpers over real HTTP: sign up a tenant, add users, make API keys, and a small
 * fetch wrapper. Other suites (tenant isolation, every domain) build on these, so their names,
 * parameters and result fields are kept stable; new fields may be added, none removed.
 *
 * Every request carries an `X-Forwarded-For` of its own (the app trusts proxies on loopback), so a
 * suite that logs in many times never trips the per-address login limit by accident. A test that
 * is about that limit passes the same `ip` to each call.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { components } from '../../generated/api.ts';
import type { Harness } from './harness.ts';

type Schemas = components['schemas'];
/** The API's own shapes, for typing response bodies. */
export type SessionTokens = Schemas['SessionTokens'];
export type User = Schemas['User'];
export type UserList = Schemas['UserList'];
export type ApiKey = Schemas['ApiKey'];
export type ApiKeyCreated = Schemas['ApiKeyCreated'];
export type ApiKeyList = Schemas['ApiKeyList'];
export type AuditEvent = Schemas['AuditEvent'];
export type AuditEventList = Schemas['AuditEventList'];
export type Me = Schemas['Me'];
export type Problem = Schemas['Problem'];
export type Role = Schemas['Role'];
export type Scope = Schemas['ApiKeyScope'];

/** What `api` answers: the status, the parsed body (JSON, else text, else undefined) and the headers. */
export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** Credentials and extras of one `api` call. */
export interface ApiOptions {
  /** An access token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** An API key, sent as `X-API-Key`. */
  apiKey?: string;
  /** A JSON body. */
  body?: unknown;
  /** The client address the server sees (X-Forwarded-For); a fresh random one per call when omitted. */
  ip?: string;
  /** More request headers. */
  headers?: Record<string, string>;
}

/** A random private address, so unrelated calls never share a per-address limit. */
export function randomIp(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

/** A random lowercase tag for slugs, emails and usernames. */
export function uniqueTag(): string {
  return randomUUID().replaceAll('-', '').slice(0, 12);
}

/** A fresh password longer than the 12-character minimum. */
export function randomPassword(): string {
  return `pw-${randomBytes(12).toString('base64url')}`;
}

/**
 * Calls `h.url + path` (path starts with `/`, e.g. `/users?limit=2`). The body's type is the
 * caller's claim (`api<User>(...)`); nothing checks it here: the server validates its answers
 * against the contract in tests, and tests assert on the fields they need.
 */
export async function api<T = Record<string, unknown>>(h: Harness, method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { 'X-Forwarded-For': opts.ip ?? randomIp(), ...opts.headers };
  if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.apiKey !== undefined) headers['X-API-Key'] = opts.apiKey;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(`${h.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let parsed: unknown = undefined;
  if (text.length > 0) parsed = /json/.test(type) ? JSON.parse(text) : text;
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Asserts a status, showing the body when it differs. */
export function expectStatus(res: ApiResponse<unknown>, status: number, what = 'request'): void {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
}

/** A tenant made through `POST /signup`, with its first admin's session. */
export interface SignedUpTenant {
  tenantId: string;
  slug: string;
  adminToken: string;
  refreshToken: string;
  adminUserId: string;
  email: string;
  password: string;
}

/** Signs up a new tenant with a random slug, email and password; fails the test unless it answers 201. */
export async function signUpTenant(h: Harness, opts: { slug?: string; email?: string; password?: string; username?: string; name?: string } = {}): Promise<SignedUpTenant> {
  const tag = uniqueTag();
  const slug = opts.slug ?? `t-${tag}`;
  const email = opts.email ?? `admin-${tag}@tideline.test`;
  const password = opts.password ?? randomPassword();
  const res = await api<SessionTokens>(h, 'POST', '/signup', {
    body: {
      tenant_slug: slug, tenant_name: `Tenant ${slug}`, email, password,
      ...(opts.username ? { username: opts.username } : {}),
      ...(opts.name ? { name: opts.name } : {}),
    },
  });
  expectStatus(res, 201, 'sign-up');
  return { tenantId: res.body.tenant.id, slug, adminToken: res.body.access_token, refreshToken: res.body.refresh_token, adminUserId: res.body.user.id, email, password };
}

/** A user added to a tenant by its admin, logged in. */
export interface CreatedUser {
  userId: string;
  email: string;
  password: string;
  /** An access token of the user's own session. */
  token: string;
  /** The refresh token of that session. */
  refreshToken: string;
}

/** Logs in with an email or username (and a tenant slug when the account has several); fails the test unless 200. */
export async function loginAs(h: Harness, login: string, password: string, tenant?: string): Promise<SessionTokens> {
  const res = await api<SessionTokens>(h, 'POST', '/auth/login', { body: { login, password, ...(tenant ? { tenant } : {}) } });
  expectStatus(res, 200, `login as ${login}`);
  return res.body;
}

/** Creates a user with this role in the admin's tenant (`POST /users`), then logs in as them. */
export async function createUserAs(h: Harness, adminToken: string, role: Role, opts: { email?: string; password?: string; username?: string; name?: string } = {}): Promise<CreatedUser> {
  const email = opts.email ?? `${role}-${uniqueTag()}@tideline.test`;
  const password = opts.password ?? randomPassword();
  const res = await api<User>(h, 'POST', '/users', {
    token: adminToken,
    body: { email, password, role, ...(opts.username ? { username: opts.username } : {}), ...(opts.name ? { name: opts.name } : {}) },
  });
  expectStatus(res, 201, `create ${role}`);
  const session = await loginAs(h, email, password);
  return { userId: res.body.id, email, password, token: session.access_token, refreshToken: session.refresh_token };
}

/** Creates an API key with these scopes (`POST /api-keys`); answers its id and its secret. */
export async function createApiKeyAs(h: Harness, adminToken: string, scopes: Scope[], name = `key-${uniqueTag()}`): Promise<{ id: string; key: string }> {
  const res = await api<ApiKeyCreated>(h, 'POST', '/api-keys', { token: adminToken, body: { name, scopes } });
  expectStatus(res, 201, 'create API key');
  return { id: res.body.id, key: res.body.key };
}

/** One audit row as the owner sees it (assertions only). */
export interface AuditRow {
  id: string;
  action: string;
  actor_type: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  details: unknown;
  occurred_at: Date;
}

/** A tenant's audit rows, oldest first, read as the owner; only those with `action` when given. */
export async function auditRows(h: Harness, tenantId: string, action?: string): Promise<AuditRow[]> {
  let q = h.owner
    .selectFrom('audit_events')
    .select(['id', 'action', 'actor_type', 'actor_id', 'target_type', 'target_id', 'ip', 'details', 'occurred_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('occurred_at')
    .orderBy('id');
  if (action) q = q.where('action', '=', action);
  return q.execute();
}
