import express, { type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { bodyRouter } from './platform/http/body.ts';
import { docsRouter } from './platform/http/docs.ts';
import { authMiddleware, type Authenticator } from './platform/http/auth.ts';
import { expressHandler, type Handler, type OperationId, type RouteTable } from './platform/http/handler.ts';
import { accessLog, errorHandler, notFoundRoute, requestId } from './platform/http/middleware.ts';
import { listOperations, type OpenApiDocument } from './platform/http/spec.ts';
import { createRequestLimits } from './platform/http/rate-limit.ts';
import { cacheRouteMatchers } from './platform/http/route-matchers.ts';
import type { Domain } from './platform/domain.ts';
import type { Platform } from './platform/runtime.ts';

export const API_BASE = '/api/v1';

/** Collects the handlers of every domain; an operation twice, or a handler with no contract, is a bug. */
function mergeRoutes(platform: Platform, domains: readonly Domain[], spec: OpenApiDocument): Map<string, Handler<OperationId>> {
  const known = new Set(listOperations(spec).map((o) => o.operationId));
  const merged = new Map<string, Handler<OperationId>>();
  for (const d of domains) {
    const table: RouteTable = d.routes(platform);
    for (const [id, h] of Object.entries(table)) {
      if (!known.has(id)) throw new Error(`${d.name} has a handler for ${id}, which no contract declares`);
      if (merged.has(id)) throw new Error(`${id} has two handlers`);
      merged.set(id, h as Handler<OperationId>);
    }
  }
  return merged;
}

/** Builds the Express app from the bundled spec: every contract operation gets its handler, or start fails. */
export function buildApp(platform: Platform, domains: readonly Domain[], authenticator: Authenticator, spec: OpenApiDocument): Express {
  const { config, log } = platform;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.set('trust proxy', 'loopback');
  app.use(requestId, accessLog(log));
  app.use('/docs', docsRouter(`${API_BASE}/openapi.json`));
  // Verifiers look for the key set at the well-known root; the contract's getJwks operation serves it.
  app.get('/.well-known/jwks.json', (_req, res) => res.redirect(308, `${API_BASE}/.well-known/jwks.json`));
  const ops = listOperations(spec);
  app.use(API_BASE, bodyRouter(ops, config.ingestion.bodyLimits, config.bodyLimitBytes));
  cacheRouteMatchers();
  app.use(
    OpenApiValidator.middleware({
      // The validator mutates the document it is given; it gets its own copy.
      apiSpec: structuredClone(spec) as never,
      validateRequests: { allowUnknownQueryParameters: false, coerceTypes: true, allErrors: true },
      validateResponses: config.validateResponses ? { removeAdditional: false } : false,
      validateSecurity: false,
      ignoreUndocumented: false,
      ignorePaths: (path: string) => !path.startsWith(API_BASE),
    }),
  );
  const handlers = mergeRoutes(platform, domains, spec);
  const limits = createRequestLimits(platform.stores, config.limits);
  const router = express.Router();
  for (const op of ops) {
    const handler = handlers.get(op.operationId);
    if (!handler) throw new Error(`no handler for ${op.operationId} (${op.method.toUpperCase()} ${op.path})`);
    router[op.method](op.expressPath, authMiddleware(op, authenticator, limits), expressHandler(handler, op, platform.db, platform.cipher));
  }
  app.use(API_BASE, router);
  app.use(notFoundRoute);
  app.use(errorHandler(log));
  return app;
}
