import { readFileSync } from 'node:fs';

/** The bundled OpenAPI document as JSON. */
export type OpenApiDocument = Record<string, unknown> & { paths?: Record<string, Record<string, unknown>> };

/** What the platform needs to know of one operation: where it lives and who may call it. */
export interface OperationInfo {
  operationId: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  expressPath: string;
  /** Security alternatives; empty means public. */
  security: string[][];
  roles: string[];
  scopes: string[];
  tags: string[];
  /** Declares the Idempotency-Key header: the platform stores and replays its responses. */
  idempotent: boolean;
  /**
   * How the body is read (`x-body-mode`): parsed JSON (the default), the raw bytes kept beside the
   * parsed body (signed webhooks), or left to the handler to stream (uploads).
   */
  bodyMode: BodyMode;
  /** The named body limit of the operation (`x-body-limit`), or null for the default one. */
  bodyLimit: string | null;
  /** Roles that see personal data unmasked in the answer (`x-pii-roles`); others and API keys see it masked. */
  piiRoles: string[];
}

export type BodyMode = 'json' | 'raw' | 'stream';
const BODY_MODES: readonly string[] = ['json', 'raw', 'stream'];

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Reads the bundled spec that `npm run generate` writes. */
export function loadSpec(): OpenApiDocument {
  const file = new URL('../../../generated/openapi.json', import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Lists every operation of the spec, with `{param}` turned into Express's `:param`. */
export function listOperations(spec: OpenApiDocument): OperationInfo[] {
  const globalSecurity = spec.security;
  const ops: OperationInfo[] = [];
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const operationId = op.operationId;
      if (typeof operationId !== 'string') throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      const security = (op.security ?? globalSecurity ?? []) as Record<string, unknown>[];
      ops.push({
        operationId,
        method,
        path,
        expressPath: path.replace(/\{([^}]+)\}/g, ':$1'),
        security: security.map((alt) => Object.keys(alt)),
        roles: strings(op['x-roles']),
        scopes: strings(op['x-scopes']),
        tags: strings(op.tags),
        idempotent: declaresIdempotencyKey(spec, op.parameters),
        bodyMode: bodyModeOf(operationId, op['x-body-mode']),
        bodyLimit: typeof op['x-body-limit'] === 'string' ? op['x-body-limit'] : null,
        piiRoles: strings(op['x-pii-roles']),
      });
    }
  }
  return ops;
}

function declaresIdempotencyKey(spec: OpenApiDocument, params: unknown): boolean {
  if (!Array.isArray(params)) return false;
  const components = ((spec.components as Record<string, unknown> | undefined)?.parameters ?? {}) as Record<string, { name?: string; in?: string }>;
  return params.some((p: { $ref?: string; name?: string; in?: string }) => {
    const resolved = p.$ref ? components[p.$ref.replace('#/components/parameters/', '')] : p;
    return resolved?.in === 'header' && resolved.name?.toLowerCase() === 'idempotency-key';
  });
}

function bodyModeOf(operationId: string, v: unknown): BodyMode {
  if (v === undefined) return 'json';
  if (typeof v !== 'string' || !BODY_MODES.includes(v)) throw new Error(`${operationId}: x-body-mode must be one of ${BODY_MODES.join(', ')}`);
  return v as BodyMode;
}
