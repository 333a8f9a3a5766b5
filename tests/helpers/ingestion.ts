/**
 * Ingestion test helpers over real HTTP: register a source, deliver a webhook as raw bytes, and
 * wait for the normalization job's effect on the rows.
 */
import { randomBytes } from 'node:crypto';
import type { components } from '../../generated/api.ts';
import { harness, type Harness } from './harness.ts';
import { api, expectStatus, randomIp, signUpTenant, type Problem, type SignedUpTenant } from './identity.ts';

type Schemas = components['schemas'];
export type Source = Schemas['Source'];
export type Provider = Schemas['Provider'];
export type Import = Schemas['Import'];

/** A source made through the API, with its secret. */
export interface CreatedSource {
  id: string;
  provider: Provider;
  secret: string;
  /** The webhook path under the API base, e.g. `/webhooks/shopify/<id>`. */
  path: string;
}

/** Registers a source as the tenant's admin; Shopify and Stripe get a provider-like secret made up here. */
export async function createSourceAs(h: Harness, token: string, provider: Provider, opts: { webhookId?: string; storeId?: string; secret?: string } = {}): Promise<CreatedSource> {
  const secret = opts.secret ?? (provider === 'stripe' ? `whsec_${randomBytes(24).toString('base64url')}` : provider === 'shopify' ? randomBytes(32).toString('hex') : undefined);
  const res = await api<Source>(h, 'POST', '/sources', {
    token,
    body: {
      provider,
      name: `${provider} source`,
      ...(secret !== undefined ? { secret } : {}),
      ...(provider === 'paypal' ? { settings: { webhook_id: opts.webhookId ?? 'WH-TEST-1' } } : {}),
      ...(opts.storeId ? { store_id: opts.storeId } : {}),
    },
  });
  expectStatus(res, 201, 'create source');
  return { id: res.body.id, provider, secret: res.body.secret ?? '', path: `/webhooks/${provider}/${res.body.id}` };
}

/** What a delivery got back. */
export interface Delivered {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POSTs exact bytes to a webhook path, as a provider would. */
export async function deliver(h: Harness, path: string, body: Buffer | string, headers: Record<string, string>): Promise<Delivered> {
  const res = await fetch(`${h.url}${path}`, { method: 'POST', headers: { 'X-Forwarded-For': randomIp(), ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until a raw event has left `pending`, and returns its row. */
export async function settled(h: Harness, rawEventId: string, ms = 15_000) {
  return eventually(async () => {
    const r = await h.owner.selectFrom('raw_events').selectAll().where('id', '=', rawEventId).executeTakeFirst();
    return r && r.status !== 'pending' ? r : undefined;
  }, ms, `raw event ${rawEventId} to settle`);
}

/** Creates an API key with `ingest:write` for the tenant. */
export async function ingestKey(h: Harness, token: string): Promise<string> {
  const res = await api<{ key: string }>(h, 'POST', '/api-keys', { token, body: { name: 'ingest', scopes: ['ingest:write'] } });
  expectStatus(res, 201, 'create ingest key');
  return res.body.key;
}

/** The suite's server, a new tenant and an `ingest:write` key of it: the setting of the batch and import suites. */
export async function ingestingTenant(): Promise<{ h: Harness; t: SignedUpTenant; key: string }> {
  const h = await harness();
  const t = await signUpTenant(h);
  return { h, t, key: await ingestKey(h, t.adminToken) };
}

/** Uploads a file to `POST /imports` with an API key, as scripts/import.ts would. */
export async function uploadImport(h: Harness, key: string, kind: string, body: string, contentType = 'text/csv'): Promise<{ status: number; body: Import & Pick<Partial<Problem>, 'type' | 'detail' | 'errors'>; headers: Headers }> {
  const res = await fetch(`${h.url}/imports?kind=${kind}&file_name=test.csv`, { method: 'POST', headers: { 'X-API-Key': key, 'Content-Type': contentType }, body });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Import & Pick<Partial<Problem>, 'type' | 'detail' | 'errors'>, headers: res.headers };
}

/** Waits until an import has succeeded or failed, and answers it. */
export async function importFinished(h: Harness, key: string, id: string): Promise<Import> {
  return eventually(async () => {
    const r = await api<Import>(h, 'GET', `/imports/${id}`, { apiKey: key });
    return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : undefined;
  }, 20_000, `import ${id}`);
}
