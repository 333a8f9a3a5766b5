import type { IsolationRegistry } from '../../helpers/isolation.ts';

/** ops: nothing here reads or writes tenant data. */
export const opsIsolation: IsolationRegistry = {
  getLiveness: { exempt: 'public health probe: answers whether the process is up, reads no tenant data' },
  getReadiness: { exempt: 'public health probe: checks the database and Redis connections, reads no tenant data' },
  getOpenApiDocument: { exempt: 'public: serves the bundled contract, the same static document for everyone' },
};
