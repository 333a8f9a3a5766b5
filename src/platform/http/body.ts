import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { OperationInfo } from './spec.ts';

const JSON_TYPES = ['application/json', 'application/*+json'];

type WithRaw = Request & { rawBody?: Buffer };

/**
 * Reads a raw body, keeping the exact bytes in `rawBody`: signed
 * webhooks are verified over what arrived, never over re-serialized JSON. JSON is not parsed here:
 * the handler parses what it verified, and judges malformed JSON once the signature is checked (an
 * unsigned garbled body is refused as unsigned, 401; a signed one as malformed, 400).
 */
function parseRaw(req: Request, _res: Response, next: NextFunction): void {
  const r = req as WithRaw;
  if (!Buffer.isBuffer(req.body)) {
    next();
    return;
  }
  r.rawBody = req.body;
  const type = req.headers['content-type'] ?? '';
  // The handler's verifier parses the bytes it checked; parsing them here too would be work done twice.
  if (req.is(JSON_TYPES)) req.body = r.rawBody.length === 0 ? undefined : {};
  else if (req.is('application/x-www-form-urlencoded')) req.body = Object.fromEntries(new URLSearchParams(r.rawBody.toString('utf8')));
  // Any other type is left for the validator to refuse with 415.
  else req.body = type === '' ? undefined : {};
  next();
}

/** The body parser an operation declares: JSON (with its named limit), raw bytes plus parsed body, or none (streamed). */
export function bodyParserFor(op: OperationInfo, limits: Readonly<Record<string, number>>, defaultLimit: number): RequestHandler[] {
  const limit = op.bodyLimit === null ? defaultLimit : limits[op.bodyLimit];
  if (limit === undefined) throw new Error(`${op.operationId}: x-body-limit "${op.bodyLimit ?? ''}" is not a configured limit`);
  switch (op.bodyMode) {
    case 'stream':
      return [];
    case 'raw':
      return [express.raw({ type: () => true, limit }), parseRaw];
    case 'json':
      return [express.json({ limit, type: JSON_TYPES })];
  }
}

/** A router that gives each operation its own body parser, before the contract validator runs. */
export function bodyRouter(ops: readonly OperationInfo[], limits: Readonly<Record<string, number>>, defaultLimit: number): express.Router {
  const router = express.Router();
  for (const op of ops) {
    const parsers = bodyParserFor(op, limits, defaultLimit);
    if (parsers.length > 0) router[op.method](op.expressPath, ...parsers);
  }
  return router;
}
