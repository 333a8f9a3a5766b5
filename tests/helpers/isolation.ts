/**
 * The tenant isolation suite's machinery: a registry that names, for every operation of the bundled
 * spec, either how to prove that tenant B cannot reach tenant A's data through it, or why it needs
 * no proof; and the runner that plays each case with B's access token and B's API key.
 *
 * A later domain adds one entry per operation (see tests/isolation/cases/); an operation with no
 * entry fails the suite, so no endpoint ships without its isolation check.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/platform/db.ts';
import type { OperationInfo } from '../../src/platform/http/spec.ts';
import type { Harness } from './harness.ts';
import { createApiKeyAs, randomIp, signUpTenant as signUp } from './identity.ts';

/** Every API key scope the contracts define: B's key holds them all, so only tenancy can stop it. */
export const ALL_SCOPES = ['ingest:write', 'analytics:read', 'analytics:run', 'diagnostics:read', 'diagnostics:operate', 'diagnostics:admin', 'identity:admin'] as const;

/** How a request authenticates. */
export type Credential = { kind: 'bearer'; token: string } | { kind: 'apiKey'; key: string };

/** What came back: status, content type and the parsed body (null when there is none). */
export interface ApiResponse {
  status: number;
  contentType: string;
  body: unknown;
}

/** The variable parts of a request to one operation. */
export interface RequestParts {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Send `body` (a string) as is, with this content type, instead of as JSON (uploads). */
  contentType?: string;
}

/** A tenant signed up through the API: its admin's access token and an API key with every scope. */
export interface Tenant {
  id: string;
  slug: string;
  adminId: string;
  token: string;
  apiKey: string;
  apiKeyId: string;
  /** Calls the API as this tenant's admin (bearer token). */
  api: (method: string, path: string, parts?: Omit<RequestParts, 'params'>) => Promise<ApiResponse>;
}

/** What every case sees: A owns the data, B attacks it, `h.owner` reads rows past RLS. */
export interface IsolationContext {
  h: Harness;
  a: Tenant;
  b: Tenant;
}

/** What a case's setup made as tenant A, and the request B will send. */
export interface SetupResult extends RequestParts {
  /** For 'empty-page': the ids of A's items that must not appear in B's pages (and do appear in A's). */
  foreignIds?: string[];
  /** Anything else the case's checks need later (a secret, an original value). */
  data?: Record<string, string>;
}

interface CaseBase {
  /** Creates A's resource through the API, as A's admin, and says what B will request. */
  setup: (ctx: IsolationContext) => Promise<SetupResult>;
  /** After B's request: A's resource is as it was (checked through A's API or `ctx.h.owner`). */
  verifyUnchanged?: (ctx: IsolationContext, s: SetupResult) => Promise<void>;
  /** Tables whose A rows may change on their own while B's request runs (background work). */
  volatileTables?: string[];
}

/** B addresses A's resource by id: 404 problem+json, exactly like an id that does not exist. */
export interface NotFoundCase extends CaseBase {
  expect: 'not-found';
}

/** B lists: none of A's items (`foreignIds`) is on any of B's pages. */
export interface EmptyPageCase extends CaseBase {
  expect: 'empty-page';
  /** The id of a listed item; `item.id` unless said otherwise. */
  itemId?: (item: Record<string, unknown>) => string | undefined;
}

/** B creates (no id to aim at A with): what B made lands in B's tenant and A never sees it. */
export interface OwnTenantCase extends CaseBase {
  expect: 'own-tenant-only';
  /** A cannot see the resource B created (A's API answers 404 / leaves it off its lists). */
  verifyInvisible: (ctx: IsolationContext, createdId: string, s: SetupResult) => Promise<void>;
  /** What B's answer names as created, when it is not `id` (a batch answers counts, say). */
  createdId?: (body: unknown, s: SetupResult) => string;
}

/** How one operation is proven isolated. */
export type IsolationCase = NotFoundCase | EmptyPageCase | OwnTenantCase;

/** An operation that needs no isolation proof, and why (public, or bound to the caller's own session). */
export interface Exemption {
  exempt: string;
}

/** One operation's entry. */
export type IsolationEntry = IsolationCase | Exemption;

/** Entries by operationId. */
export type IsolationRegistry = Record<string, IsolationEntry>;

/** Whether an entry is an exemption rather than a case. */
export function isExemption(e: IsolationEntry): e is Exemption {
  return 'exempt' in e;
}

/** Joins per-domain registries; an operationId claimed twice is a mistake, not an override. */
export function combineRegistries(...parts: IsolationRegistry[]): IsolationRegistry {
  const all: IsolationRegistry = {};
  for (const part of parts) {
    for (const [id, entry] of Object.entries(part)) {
      if (id in all) throw new Error(`isolation registry: ${id} has two entries`);
      all[id] = entry;
    }
  }
  return all;
}

/** Operations with no entry, and entries for operations the spec does not have. */
export function coverage(ops: OperationInfo[], registry: IsolationRegistry): { uncovered: string[]; stale: string[] } {
  const ids = new Set(ops.map((o) => o.operationId));
  return {
    uncovered: ops.map((o) => o.operationId).filter((id) => !Object.hasOwn(registry, id)).sort(),
    stale: Object.keys(registry).filter((id) => !ids.has(id)).sort(),
  };
}

/** The ways B can call an operation: its access token, its API key, or both. */
export function principals(op: OperationInfo): ('token' | 'api key')[] {
  const accepts = (scheme: string) => op.security.some((alt) => alt.length === 1 && alt[0] === scheme);
  return [...(accepts('bearerAuth') ? (['token'] as const) : []), ...(accepts('apiKeyAuth') ? (['api key'] as const) : [])];
}

/** Entries that cannot prove anything: a blank reason, a case on a public operation, a write left unchecked. */
export function entryProblems(ops: OperationInfo[], registry: IsolationRegistry): string[] {
  const problems: string[] = [];
  for (const op of ops) {
    const e = registry[op.operationId];
    if (!e) continue;
    if (isExemption(e)) {
      if (e.exempt.trim().length < 20) problems.push(`${op.operationId}: an exemption needs a reason, not "${e.exempt}"`);
      continue;
    }
    if (principals(op).length === 0) problems.push(`${op.operationId}: a case on an operation no tenant credential can call (exempt it instead)`);
    if (e.expect === 'not-found' && op.method !== 'get' && !e.verifyUnchanged) problems.push(`${op.operationId}: a write needs verifyUnchanged`);
    if (e.expect === 'empty-page' && op.method !== 'get') problems.push(`${op.operationId}: 'empty-page' is for list operations`);
    if (e.expect === 'own-tenant-only' && op.method !== 'post') problems.push(`${op.operationId}: 'own-tenant-only' is for creates`);
  }
  return problems;
}

/** Sends one request to the API. */
export async function call(url: string, method: string, path: string, cred: Credential | null, parts: Omit<RequestParts, 'params'> = {}): Promise<ApiResponse> {
  const qs = parts.query && Object.keys(parts.query).length > 0 ? `?${new URLSearchParams(parts.query).toString()}` : '';
  // A fresh client address per call (the app trusts loopback proxies): per-address limits never interfere.
  const headers: Record<string, string> = { 'x-forwarded-for': randomIp() };
  if (cred?.kind === 'bearer') headers.authorization = `Bearer ${cred.token}`;
  if (cred?.kind === 'apiKey') headers['x-api-key'] = cred.key;
  if (parts.body !== undefined) headers['content-type'] = parts.contentType ?? 'application/json';
  const body = parts.body === undefined ? undefined : parts.contentType && typeof parts.body === 'string' ? parts.body : JSON.stringify(parts.body);
  const res = await fetch(`${url}${path}${qs}`, { method: method.toUpperCase(), headers, ...(body === undefined ? {} : { body }) });
  const contentType = res.headers.get('content-type') ?? '';
  const text = await res.text();
  return { status: res.status, contentType, body: text && contentType.includes('json') ? (JSON.parse(text) as unknown) : text || null };
}

/** The value as a JSON object, or a failed assertion saying what it was. */
export function obj(v: unknown, what = 'response body'): Record<string, unknown> {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${what} is not an object: ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

/** A string field of a JSON object. */
export function str(v: unknown, key: string): string {
  const s = obj(v)[key];
  assert.equal(typeof s, 'string', `${key} is not a string in ${JSON.stringify(v)}`);
  return s as string;
}

/** Asserts a status, showing the body when it differs. */
export function expectStatus(res: ApiResponse, status: number, what: string): void {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
}

/** A unique, valid email for a test account. */
export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomUUID().slice(0, 12)}@isolation.example`;
}

/** Signs a tenant up through POST /signup and gives its admin an API key with every scope. */
export async function signUpTenant(h: Harness): Promise<Tenant> {
  const t = await signUp(h);
  const key = await createApiKeyAs(h, t.adminToken, [...ALL_SCOPES], 'all scopes');
  return {
    id: t.tenantId,
    slug: t.slug,
    adminId: t.adminUserId,
    token: t.adminToken,
    apiKey: key.key,
    apiKeyId: key.id,
    api: (method, path, parts) => call(h.url, method, path, { kind: 'bearer', token: t.adminToken }, parts),
  };
}

/** The path with `{name}` replaced by the setup's values; a missing one is the case's mistake. */
export function expandPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`setup gave no value for path parameter {${name}} of ${path}`);
    return encodeURIComponent(v);
  });
}

/**
 * A digest of every row tenant A owns: each public table with a tenant_id column, A's tenant row,
 * and the accounts A's memberships point at. Equal digests before and after B's request mean B
 * changed nothing of A's, whichever table a later domain adds.
 */
export async function tenantFingerprint(owner: Kysely<Database>, tenantId: string, ignore: string[] = []): Promise<Record<string, string>> {
  return owner.transaction().execute(async (trx) => {
    // The owner may be subject to forced RLS rather than bypass it: scope the transaction to A as well.
    await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(trx);
    const tables = await sql<{ table_name: string }>`
      select distinct c.table_name from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = 'public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'
      order by c.table_name`.execute(trx);
    const digest = (rows: { n: number; d: string }[]) => `${rows[0]?.n ?? 0}:${rows[0]?.d ?? ''}`;
    const out: Record<string, string> = {};
    for (const { table_name: name } of tables.rows) {
      if (ignore.includes(name)) continue;
      const r = await sql<{ n: number; d: string }>`
        select count(*)::int as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as d
        from ${sql.table(name)} x where x.tenant_id = ${tenantId}`.execute(trx);
      out[name] = digest(r.rows);
    }
    const tenant = await sql<{ n: number; d: string }>`
      select count(*)::int as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as d from tenants x where x.id = ${tenantId}`.execute(trx);
    out['tenants (row of A)'] = digest(tenant.rows);
    const accounts = await sql<{ n: number; d: string }>`
      select count(*)::int as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as d
      from users x where x.id in (select m.user_id from memberships m where m.tenant_id = ${tenantId})`.execute(trx);
    out['users (accounts of A)'] = digest(accounts.rows);
    return out;
  });
}

/** Every item id on every page of a list, following `next_cursor`. */
async function listIds(url: string, path: string, cred: Credential, query: Record<string, string>, itemId: (item: Record<string, unknown>) => string | undefined, who: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const res = await call(url, 'get', path, cred, { query: cursor ? { ...query, cursor } : query });
    expectStatus(res, 200, `${who} listing ${path}`);
    const body = obj(res.body);
    assert.ok(Array.isArray(body.data), `${who} listing ${path}: no data array`);
    for (const item of body.data as unknown[]) {
      const id = itemId(obj(item, 'list item'));
      if (id !== undefined) ids.push(id);
    }
    cursor = typeof body.next_cursor === 'string' ? body.next_cursor : null;
    if (!cursor) return ids;
  }
  throw new Error(`${who} listing ${path}: more than 100 pages`);
}

/** A problem document's fields that must not tell another tenant's resource from a missing one. */
function problemShape(res: ApiResponse): Record<string, unknown> {
  const p = obj(res.body, 'problem');
  return { status: res.status, type: p.type, title: p.title, detail: p.detail };
}

/** The credential B uses for one run. */
export function credentialOf(t: Tenant, via: 'token' | 'api key'): Credential {
  return via === 'token' ? { kind: 'bearer', token: t.token } : { kind: 'apiKey', key: t.apiKey };
}

/** Plays one case: A sets up, B calls with the given credential, then nothing of A's has moved. */
export async function runCase(ctx: IsolationContext, op: OperationInfo, c: IsolationCase, via: 'token' | 'api key'): Promise<void> {
  const { h, a } = ctx;
  const cred = credentialOf(ctx.b, via);
  const s = await c.setup(ctx);
  const path = expandPath(op.path, s.params);
  const parts = { ...(s.query ? { query: s.query } : {}), ...(s.body === undefined ? {} : { body: s.body }), ...(s.contentType ? { contentType: s.contentType } : {}) };
  const aCred: Credential = { kind: 'bearer', token: a.token };
  const itemId = (c.expect === 'empty-page' && c.itemId) || ((item: Record<string, unknown>) => (typeof item.id === 'string' ? item.id : undefined));

  // Controls: the case really aims at something of A's, so B's 404 or empty page means something.
  if (c.expect === 'not-found' && op.method === 'get') {
    const mine = await call(h.url, 'get', path, aCred, parts);
    assert.ok(mine.status >= 200 && mine.status < 300, `control: A itself gets ${mine.status} on ${path}`);
  }
  if (c.expect === 'empty-page') {
    assert.ok(s.foreignIds && s.foreignIds.length > 0, `${op.operationId}: setup must name A's ids (foreignIds)`);
    const mine = await listIds(h.url, path, aCred, s.query ?? {}, itemId, 'A');
    for (const id of s.foreignIds) assert.ok(mine.includes(id), `control: A's own listing lacks ${id}`);
  }

  const before = await tenantFingerprint(h.owner, a.id, c.volatileTables);
  if (c.expect === 'not-found') {
    const res = await call(h.url, op.method, path, cred, parts);
    expectStatus(res, 404, `B's ${via} on A's ${op.operationId}`);
    assert.match(res.contentType, /^application\/problem\+json/);
    assert.equal(obj(res.body).status, 404);
    // Another tenant's resource answers exactly as a missing one.
    const missing: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.params ?? {})) missing[k] = /^[0-9a-f-]{36}$/i.test(v) ? randomUUID() : v;
    const absent = await call(h.url, op.method, expandPath(op.path, missing), cred, parts);
    assert.deepEqual(problemShape(res), problemShape(absent), 'A\'s resource answers B unlike a missing one');
  } else if (c.expect === 'empty-page') {
    const seen = await listIds(h.url, path, cred, s.query ?? {}, itemId, 'B');
    const leaked = (s.foreignIds ?? []).filter((id) => seen.includes(id));
    assert.deepEqual(leaked, [], `B's ${via} lists A's items`);
  } else {
    const res = await call(h.url, op.method, path, cred, parts);
    assert.ok(res.status >= 200 && res.status <= 202, `B's ${via} create: ${res.status} ${JSON.stringify(res.body)}`);
    await c.verifyInvisible(ctx, c.createdId ? c.createdId(res.body, s) : str(res.body, 'id'), s);
  }
  assert.deepEqual(await tenantFingerprint(h.owner, a.id, c.volatileTables), before, `B's ${via} changed A's rows through ${op.operationId}`);
  if (c.verifyUnchanged) await c.verifyUnchanged(ctx, s);
}
