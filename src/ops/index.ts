import type { Domain } from '../platform/domain.ts';
import { loadSpec } from '../platform/http/spec.ts';
import { opsRoutes } from './routes.ts';

/** Health, readiness and the served contract. */
export const opsDomain: Domain = {
  name: 'ops',
  routes: (p) => opsRoutes(p, loadSpec()),
  queues: [],
};
