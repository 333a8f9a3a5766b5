import { metaOf } from '../identity/index.ts';
import type { Principal } from '../platform/http/auth.ts';
import { routes } from '../platform/http/handler.ts';
import { unauthorized } from '../platform/errors.ts';
import type { IngestionDeps } from './context.ts';
import * as deadLetters from './service-dead-letters.ts';
import { ingestEvents } from './service-events.ts';
import * as imports from './service-imports.ts';
import * as rawEvents from './service-raw-events.ts';
import * as sources from './service-sources.ts';
import { receiveWebhook } from './service-webhooks.ts';

/** The tenant of the authenticated caller; the authorization middleware guarantees one on secured operations. */
function tenant(p: Principal | null): string {
  if (!p) throw unauthorized();
  return p.tenantId;
}

/** Sources, webhooks, raw events, dead letters, batch events and imports. */
export function ingestionRoutes(d: IngestionDeps) {
  return routes({
    createSource: async (ctx) => {
      const body = await sources.createSource(d, tenant(ctx.principal), ctx.body, metaOf(ctx));
      return { status: 201, body, headers: { Location: `/api/v1/sources/${body.id}`, 'Cache-Control': 'no-store' } };
    },
    listSources: async (ctx) => ({ status: 200, body: await sources.listSources(d, tenant(ctx.principal), ctx.query) }),
    getSource: async (ctx) => ({ status: 200, body: await sources.getSource(d, tenant(ctx.principal), ctx.params.sourceId) }),
    updateSource: async (ctx) => ({ status: 200, body: await sources.updateSource(d, tenant(ctx.principal), ctx.params.sourceId, ctx.body, metaOf(ctx)), headers: { 'Cache-Control': 'no-store' } }),
    receiveWebhook: async (ctx) => {
      const receipt = await receiveWebhook(d, ctx.params.provider, ctx.params.sourceId, ctx.rawBody ?? Buffer.alloc(0), ctx.headers);
      return receipt.status === 'accepted' ? { status: 202, body: receipt } : { status: 200, body: receipt };
    },
    listRawEvents: async (ctx) => ({ status: 200, body: await rawEvents.listRawEvents(d, tenant(ctx.principal), ctx.query) }),
    getRawEvent: async (ctx) => ({ status: 200, body: await rawEvents.getRawEvent(d, tenant(ctx.principal), ctx.params.eventId) }),
    listDeadLetters: async (ctx) => ({ status: 200, body: await deadLetters.listDeadLetters(d, tenant(ctx.principal), ctx.query) }),
    getDeadLetter: async (ctx) => ({ status: 200, body: await deadLetters.getDeadLetter(d, tenant(ctx.principal), ctx.params.deadLetterId) }),
    replayDeadLetter: async (ctx) => ({ status: 202, body: await deadLetters.replayDeadLetter(d, tenant(ctx.principal), ctx.params.deadLetterId, metaOf(ctx)) }),
    discardDeadLetter: async (ctx) => ({ status: 200, body: await deadLetters.discardDeadLetter(d, tenant(ctx.principal), ctx.params.deadLetterId, ctx.body.reason, metaOf(ctx)) }),
    replayDeadLetters: async (ctx) => ({ status: 202, body: await deadLetters.replayDeadLetters(d, tenant(ctx.principal), ctx.body, metaOf(ctx)) }),
    ingestEvents: async (ctx) => ({ status: 200, body: await ingestEvents(d, tenant(ctx.principal), ctx.body.events) }),
    createImport: async (ctx) => {
      const body = await imports.createImport(d, tenant(ctx.principal), ctx.req, ctx.query.kind, ctx.query.file_name);
      return { status: 202, body, headers: { Location: `/api/v1/imports/${body.id}` } };
    },
    listImports: async (ctx) => ({ status: 200, body: await imports.listImports(d, tenant(ctx.principal), ctx.query) }),
    getImport: async (ctx) => ({ status: 200, body: await imports.getImport(d, tenant(ctx.principal), ctx.params.importId) }),
  });
}
