import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { operations } from '../../../generated/api.ts';
import { principalSubject, type Principal } from './auth.ts';
import type { OperationInfo } from './spec.ts';
import type { Db } from '../db.ts';
import type { FieldCipher } from '../crypto/index.ts';
import { idempotent, type StoredReply } from '../idempotency.ts';

/** Every operationId of the bundled contract. */
export type OperationId = keyof operations;
type Op<K extends OperationId> = operations[K];

type Part<K extends OperationId, Where extends string> = Op<K>['parameters'] extends infer P
  ? P extends Record<Where, infer V>
    ? [V] extends [never] ? Record<string, never> : NonNullable<V>
    : P extends Partial<Record<Where, infer V>>
      ? [V] extends [never] ? Record<string, never> : NonNullable<V>
      : Record<string, never>
  : Record<string, never>;

type ContentOf<T> = T extends { content: infer C } ? C[keyof C] : undefined;

/** The typed path parameters, query and body of an operation, as validated against its contract. */
export type PathParams<K extends OperationId> = Part<K, 'path'>;
export type QueryParams<K extends OperationId> = Part<K, 'query'>;
export type RequestBody<K extends OperationId> = Op<K> extends { requestBody?: infer RB }
  ? [RB] extends [never] ? undefined : ContentOf<NonNullable<RB>>
  : undefined;

type Responses<K extends OperationId> = Op<K>['responses'];

/** Exactly the responses the contract declares: status, body and optional headers. */
export type Reply<K extends OperationId> = {
  [S in keyof Responses<K>]: S extends number
    ? ContentOf<Responses<K>[S]> extends undefined
      ? { status: S; body?: undefined; headers?: Record<string, string> }
      : { status: S; body: ContentOf<Responses<K>[S]>; headers?: Record<string, string>; contentType?: string }
    : never;
}[keyof Responses<K>];

/** What a handler sees: validated input, the caller, and request metadata; never res. */
export interface HandlerContext<K extends OperationId> {
  params: PathParams<K>;
  query: QueryParams<K>;
  body: RequestBody<K>;
  principal: Principal | null;
  requestId: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer | undefined;
  ip: string;
  userAgent: string | undefined;
  /** The raw request, for the few operations that stream their body. */
  req: Request;
  /** Whether the caller may see personal data unmasked, from the operation's `x-pii-roles`. */
  pii: boolean;
}

export type Handler<K extends OperationId> = (ctx: HandlerContext<K>) => Promise<Reply<K>>;

/** A domain's handlers, keyed by operationId. */
export type RouteTable = { [K in OperationId]?: Handler<K> };

/** Declares a domain's handlers; typing each one from its operationId. */
export function routes<T extends RouteTable>(table: T): T {
  return table;
}

/** The request as its handler context. */
export function contextOf<K extends OperationId>(req: Request, res: Response, op?: OperationInfo): HandlerContext<K> {
  const principal = (res.locals.principal as Principal | null | undefined) ?? null;
  return {
    params: req.params as PathParams<K>,
    query: req.query as QueryParams<K>,
    body: req.body as RequestBody<K>,
    principal,
    requestId: res.locals.requestId as string,
    headers: req.headers,
    rawBody: (req as Request & { rawBody?: Buffer }).rawBody,
    ip: req.ip ?? req.socket.remoteAddress ?? '',
    userAgent: req.headers['user-agent'],
    req,
    pii: principal?.kind === 'user' && (op?.piiRoles ?? []).includes(principal.role),
  };
}

/** Adapts a typed handler to Express: runs it (once per Idempotency-Key when declared) and writes the reply. */
export function expressHandler<K extends OperationId>(handler: Handler<K>, op: OperationInfo, db: Db, cipher: FieldCipher) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const ctx = contextOf<K>(req, res, op);
    const key = req.headers['idempotency-key'];
    const run = () => handler(ctx) as Promise<StoredReply>;
    const replyPromise: Promise<StoredReply & { replayed?: boolean }> =
      op.idempotent && typeof key === 'string' && ctx.principal
        ? idempotent(db, cipher, { tenantId: ctx.principal.tenantId, principal: principalSubject(ctx.principal), key, operationId: op.operationId, body: ctx.body }, run)
        : run();
    replyPromise
      .then((reply) => {
        const r = reply as { status: number; body?: unknown; headers?: Record<string, string>; contentType?: string; replayed?: boolean };
        if (r.headers) res.set(r.headers);
        if (r.replayed) res.set('Idempotent-Replayed', 'true');
        res.status(r.status);
        if (r.body === undefined) res.end();
        else if (r.contentType && r.contentType !== 'application/json') res.type(r.contentType).send(r.body);
        else res.json(r.body);
      })
      .catch(next);
  };
}
