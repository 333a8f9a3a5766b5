import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError, toProblem, type FieldError } from '../errors.ts';
import type { Logger } from '../log.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes a well-formed X-Request-Id or makes one, and echoes it. */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
}

/** One log line per request: method, path without query, status, time; never bodies or headers. */
export function accessLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info(
        { requestId: res.locals.requestId as string, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    });
    next();
  };
}

interface ValidatorError {
  status: number;
  message?: string;
  errors?: { path?: string; message?: string; errorCode?: string }[];
  headers?: Record<string, string>;
}

function isValidatorError(err: unknown): err is ValidatorError {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number' && Array.isArray((err as { errors?: unknown }).errors);
}

function fieldName(path: string | undefined): string {
  // express-openapi-validator says "/body/items/0/sku" or ".body.items[0].sku"; callers want "body.items.0.sku".
  return (path ?? '').replace(/^[./]/, '').replace(/\[(\d+)\]/g, '.$1').replace(/\//g, '.');
}

/** Maps anything thrown to an AppError; unknown errors become a bare 500. */
export function asAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return new AppError(400, 'malformed-json', 'The request body is not valid JSON.');
  if (type === 'entity.too.large') return new AppError(413, 'body-too-large', 'The request body is larger than this endpoint accepts.');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new AppError(415, 'unsupported-media-type', 'The request body encoding or charset is not supported.');
  }
  // Postgres refuses NUL and malformed text; that is the client's input, not our failure.
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '22021' || code === '22P05') return new AppError(400, 'invalid-text', 'The request contains characters that cannot be stored (such as NUL).');
  if (isValidatorError(err)) {
    const errors: FieldError[] = (err.errors ?? []).map((e) => ({
      name: fieldName(e.path),
      reason: e.message ?? 'is invalid',
      ...(e.errorCode ? { code: e.errorCode } : {}),
    }));
    switch (err.status) {
      case 400:
        return new AppError(400, 'validation', 'The request does not match the contract.', { errors });
      case 404:
        return new AppError(404, 'not-found', 'No such route.');
      case 405:
        return new AppError(405, 'method-not-allowed', 'This route does not accept that method.', err.headers ? { headers: err.headers } : {});
      case 413:
        return new AppError(413, 'body-too-large', 'The request body is larger than this endpoint accepts.');
      case 415:
        return new AppError(415, 'unsupported-media-type', 'The request content type is not accepted by this operation.');
      default:
        return null;
    }
  }
  return null;
}

/** Unknown routes outside the API's base path. */
export function notFoundRoute(_req: Request, _res: Response, next: NextFunction): void {
  next(new AppError(404, 'not-found', 'No such route.'));
}

/** The one place errors become responses: problem+json, never a stack or SQL text. */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = res.locals.requestId as string | undefined;
    let appErr = asAppError(err);
    if (!appErr) {
      log.error({ requestId, err, method: req.method, path: req.path }, 'unhandled error');
      appErr = new AppError(500, 'internal', `Something went wrong on our side. Quote request id ${requestId ?? 'unknown'} when reporting it.`);
    } else if (appErr.status >= 500) {
      log.error({ requestId, err }, 'server error');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.set(appErr.headers);
    res.status(appErr.status).type('application/problem+json').send(JSON.stringify(toProblem(appErr, req.originalUrl.split('?')[0])));
  };
}
