import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { call, expectStatus, obj, str, type IsolationContext, type IsolationRegistry } from '../../helpers/isolation.ts';
import { customHeaders } from '../../helpers/webhook-signing.ts';

// Normalization runs in the background after a delivery: these tables of A's may move on their own.
const BACKGROUND = ['raw_events', 'orders', 'order_lines', 'customers', 'products', 'stores', 'refunds', 'dead_letters'];

/** A custom source of A's; answers its id and secret. */
async function sourceOfA(ctx: IsolationContext): Promise<{ id: string; secret: string }> {
  const res = await ctx.a.api('post', '/sources', { body: { provider: 'custom', name: 'source of A' } });
  expectStatus(res, 201, 'A creates a source');
  return { id: str(res.body, 'id'), secret: str(res.body, 'secret') };
}

/** Delivers one signed custom event to A's source; answers the raw event id. */
async function rawEventOfA(ctx: IsolationContext, body: Record<string, unknown> = { id: randomUUID(), note: 'unmapped' }, topic = 'note.created'): Promise<string> {
  const src = await sourceOfA(ctx);
  const raw = Buffer.from(JSON.stringify(body));
  const eventId = randomUUID();
  const res = await fetch(`${ctx.h.url}/webhooks/custom/${src.id}`, { method: 'POST', headers: customHeaders(raw, src.secret, { topic, eventId }), body: raw });
  const text = await res.text();
  assert.equal(res.status, 202, `A's delivery: ${text}`);
  const id = str(JSON.parse(text), 'raw_event_id');
  // Let its normalization finish, so no later case sees A's rows move on their own.
  await until(ctx, sql<{ done: boolean }>`select status <> 'pending' as done from raw_events where id = ${id}`, 'A\'s raw event to settle');
  return id;
}

/** Polls an owner query answering `done` until it is true. */
async function until(ctx: IsolationContext, query: RawBuilder<{ done: boolean }>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await query.execute(ctx.h.owner);
    if (r.rows[0]?.done) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A's upload of a small stores file, imported to the end; answers the import id. */
async function importOfA(ctx: IsolationContext, line: string): Promise<string> {
  const res = await call(ctx.h.url, 'post', '/imports', { kind: 'bearer', token: ctx.a.token }, { query: { kind: 'stores' }, contentType: 'text/csv', body: `${STORES_HEADER}\n${line}\n` });
  expectStatus(res, 202, 'A uploads an import');
  const id = str(res.body, 'id');
  await until(ctx, sql<{ done: boolean }>`select status in ('succeeded', 'failed') as done from imports where id = ${id}`, 'A\'s import to finish');
  return id;
}

const STORES_HEADER = 'Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval';

/** A dead letter of A's: a custom order that can never normalize becomes one at once. */
async function deadLetterOfA(ctx: IsolationContext): Promise<string> {
  const rawId = await rawEventOfA(ctx, { id: randomUUID(), externalId: 'broken', currency: 'not a currency' }, 'order.upsert');
  for (let i = 0; i < 150; i++) {
    const r = await sql<{ id: string }>`select id from dead_letters where raw_event_id = ${rawId}`.execute(ctx.h.owner);
    if (r.rows[0]) return r.rows[0].id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('A\'s dead letter never appeared');
}

/** A's dead letter is still open, unreplayed. */
async function letterIntact(ctx: IsolationContext, id: string): Promise<void> {
  const res = await ctx.a.api('get', `/dead-letters/${id}`);
  expectStatus(res, 200, 'A reads its dead letter');
  assert.deepEqual({ status: obj(res.body).status, replay_count: obj(res.body).replay_count }, { status: 'open', replay_count: 0 });
}

/** The tenants holding a row with this key, read as the owner past RLS. */
async function tenantsOf(ctx: IsolationContext, table: string, column: string, value: string): Promise<string[]> {
  const r = await sql<{ tenant_id: string }>`select tenant_id from ${sql.table(table)} where ${sql.ref(column)} = ${value}`.execute(ctx.h.owner);
  return r.rows.map((x) => x.tenant_id);
}

/** ingestion: sources, raw events, dead letters, batch events, imports; the webhook itself is signed, not tenant-authenticated. */
export const ingestionIsolation: IsolationRegistry = {
  receiveWebhook: { exempt: 'public: authenticated by the source\'s own signature; tests/ingestion/webhooks.test.ts proves another source\'s (and tenant\'s) secret is refused' },

  createSource: {
    expect: 'own-tenant-only',
    setup: () => Promise.resolve({ body: { provider: 'woocommerce', name: 'source of B' } }),
    verifyInvisible: async (ctx, id) => {
      expectStatus(await ctx.a.api('get', `/sources/${id}`), 404, 'A reads B\'s source');
      assert.deepEqual(await tenantsOf(ctx, 'sources', 'id', id), [ctx.b.id]);
    },
  },
  listSources: {
    expect: 'empty-page',
    setup: async (ctx) => ({ query: { limit: '200' }, foreignIds: [(await sourceOfA(ctx)).id] }),
  },
  getSource: {
    expect: 'not-found',
    setup: async (ctx) => ({ params: { sourceId: (await sourceOfA(ctx)).id } }),
  },
  updateSource: {
    expect: 'not-found',
    setup: async (ctx) => ({ params: { sourceId: (await sourceOfA(ctx)).id }, body: { status: 'disabled', rotate_secret: true } }),
    verifyUnchanged: async (ctx, s) => {
      const res = await ctx.a.api('get', `/sources/${s.params?.sourceId ?? ''}`);
      assert.equal(obj(res.body).status, 'active');
    },
  },

  listRawEvents: {
    expect: 'empty-page',
    volatileTables: BACKGROUND,
    setup: async (ctx) => ({ query: { limit: '200' }, foreignIds: [await rawEventOfA(ctx)] }),
  },
  getRawEvent: {
    expect: 'not-found',
    volatileTables: BACKGROUND,
    setup: async (ctx) => ({ params: { eventId: await rawEventOfA(ctx) } }),
  },

  listDeadLetters: {
    expect: 'empty-page',
    volatileTables: BACKGROUND,
    setup: async (ctx) => ({ query: { limit: '200' }, foreignIds: [await deadLetterOfA(ctx)] }),
  },
  getDeadLetter: {
    expect: 'not-found',
    volatileTables: BACKGROUND,
    setup: async (ctx) => ({ params: { deadLetterId: await deadLetterOfA(ctx) } }),
  },
  replayDeadLetter: {
    expect: 'not-found',
    volatileTables: BACKGROUND,
    setup: async (ctx) => ({ params: { deadLetterId: await deadLetterOfA(ctx) } }),
    verifyUnchanged: (ctx, s) => letterIntact(ctx, s.params?.deadLetterId ?? ''),
  },
  discardDeadLetter: {
    expect: 'not-found',
    volatileTables: BACKGROUND,
    setup: async (ctx) => ({ params: { deadLetterId: await deadLetterOfA(ctx) }, body: { reason: 'discarded by B' } }),
    verifyUnchanged: (ctx, s) => letterIntact(ctx, s.params?.deadLetterId ?? ''),
  },
  replayDeadLetters: {
    expect: 'own-tenant-only',
    volatileTables: BACKGROUND,
    setup: async (ctx) => ({ body: {}, data: { letter: await deadLetterOfA(ctx) } }),
    createdId: (body) => String(obj(body).count),
    verifyInvisible: async (ctx, count, s) => {
      assert.equal(count, '0', 'B\'s bulk replay counts none of A\'s dead letters');
      await letterIntact(ctx, s.data?.letter ?? '');
    },
  },

  ingestEvents: {
    expect: 'own-tenant-only',
    setup: () => {
      const id = `iso-${randomUUID()}`;
      return Promise.resolve({ body: { events: [{ type: 'touchpoint', id, channel: 'email', occurred_at: '2026-03-01T10:00:00.000Z' }] }, data: { id } });
    },
    createdId: (_body, s) => s.data?.id ?? '',
    verifyInvisible: async (ctx, id) => {
      assert.deepEqual(await tenantsOf(ctx, 'touchpoints', 'event_id', id), [ctx.b.id]);
    },
  },
  createImport: {
    expect: 'own-tenant-only',
    volatileTables: ['imports', 'import_chunks', 'stores', 'store_daily_sales'],
    setup: () => Promise.resolve({ query: { kind: 'stores' }, contentType: 'text/csv', body: `${STORES_HEADER}\n9001,a,a,1270,9,2008,0,,,\n` }),
    verifyInvisible: async (ctx, id) => {
      expectStatus(await ctx.a.api('get', `/imports/${id}`), 404, 'A reads B\'s import');
      assert.deepEqual(await tenantsOf(ctx, 'imports', 'id', id), [ctx.b.id]);
    },
  },
  listImports: {
    expect: 'empty-page',
    setup: async (ctx) => ({ query: { limit: '200' }, foreignIds: [await importOfA(ctx, '9002,b,a,570,,,1,13,2010,"Jan,Apr,Jul,Oct"')] }),
  },
  getImport: {
    expect: 'not-found',
    setup: async (ctx) => ({ params: { importId: await importOfA(ctx, '9003,c,c,,,,0,,,') } }),
  },
};
