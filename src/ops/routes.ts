import { routes } from '../platform/http/handler.ts';
import type { OpenApiDocument } from '../platform/http/spec.ts';
import type { Platform } from '../platform/runtime.ts';
import { readiness } from './service.ts';

/** Health and the contract itself. */
export function opsRoutes(p: Platform, spec: OpenApiDocument) {
  return routes({
    getLiveness: () => Promise.resolve({ status: 200, body: { status: 'ok' } }),
    getReadiness: async () => {
      const report = await readiness(p);
      return report.status === 'ok'
        ? { status: 200, body: report, headers: { 'Cache-Control': 'no-store' } }
        : { status: 503, body: report, headers: { 'Cache-Control': 'no-store' } };
    },
    getOpenApiDocument: () => Promise.resolve({ status: 200, body: spec }),
  });
}
