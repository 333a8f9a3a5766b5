/** Domain and HTTP errors, and their RFC 9457 problem+json form. */

export interface FieldError {
  name: string;
  reason: string;
  code?: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error that knows its HTTP status; services throw these, the error middleware renders them. */
export class AppError extends Error {
  readonly status: number;
  readonly slug: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(
    status: number,
    slug: string,
    detail: string,
    opts: { errors?: FieldError[]; headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.errors = opts.errors;
    this.headers = opts.headers ?? {};
    this.extensions = opts.extensions ?? {};
  }
}

/** 400 with one entry per bad field. */
export const badRequest = (detail: string, errors?: FieldError[]): AppError =>
  new AppError(400, 'validation', detail, errors ? { errors } : {});
/** 401: no or bad credentials. */
export const unauthorized = (detail = 'Valid credentials are required.'): AppError =>
  new AppError(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } });
/** 403: authenticated, not allowed. */
export const forbidden = (detail = 'You are not allowed to perform this operation.'): AppError =>
  new AppError(403, 'forbidden', detail);
/** 404: missing, or another tenant's (the two are indistinguishable on purpose). */
export const notFound = (what = 'resource'): AppError => new AppError(404, 'not-found', `The ${what} does not exist.`);
/** 409: conflicts with the current state. */
export const conflict = (detail: string): AppError => new AppError(409, 'conflict', detail);
/** 422: well-formed but cannot be processed. */
export const unprocessable = (detail: string, errors?: FieldError[]): AppError =>
  new AppError(422, 'unprocessable', detail, errors ? { errors } : {});
/** 429 with Retry-After. */
export const tooManyRequests = (retryAfterSeconds: number, headers: Record<string, string> = {}): AppError =>
  new AppError(429, 'rate-limited', `Too many requests; retry after ${retryAfterSeconds} s.`, {
    headers: { 'Retry-After': String(retryAfterSeconds), ...headers },
  });

/** Renders an AppError as a problem document. */
export function toProblem(err: AppError, instance: string | undefined): Problem {
  const problem: Problem = {
    type: `https://tideline.dev/problems/${err.slug}`,
    title: TITLES[err.status] ?? 'Error',
    status: err.status,
    detail: err.message,
    ...err.extensions,
  };
  if (instance) problem.instance = instance;
  if (err.errors && err.errors.length > 0) problem.errors = err.errors;
  return problem;
}
