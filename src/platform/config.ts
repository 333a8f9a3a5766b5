/** Environment configuration: every variable parsed and validated once, at start. */
export type ProcessRole = 'api' | 'worker' | 'all';
export type NodeEnv = 'development' | 'test' | 'production';

export interface Config {
  nodeEnv: NodeEnv;
  role: ProcessRole;
  host: string;
  port: number;
  publicUrl: string | null;
  databaseUrl: string | null;
  databaseAppUrl: string | null;
  databaseAppPassword: string | null;
  databasePoolMax: number;
  embeddedPgPort: number;
  embeddedPgDir: string;
  migrateOnStart: boolean;
  redisUrl: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  validateResponses: boolean;
  shutdownTimeoutMs: number;
}

/** A variable that is missing or malformed; its message is the one line printed at start. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string | null): string | null {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name, null);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = str(env, name, null);
  if (raw === null) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name, null);
  if (raw === null) return fallback;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false (got "${raw}")`);
}

function url(env: Env, name: string, protocols: readonly string[]): string | null {
  const raw = str(env, name, null);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL (${protocols.join(' or ')})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must be a URL starting with ${protocols.join(' or ')}`);
  }
  return raw;
}

/** Parses and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  return {
    nodeEnv,
    role: oneOf(env, 'TIDELINE_ROLE', ['api', 'worker', 'all'] as const, 'all'),
    host: str(env, 'HOST', '127.0.0.1') ?? '127.0.0.1',
    port: int(env, 'PORT', 3000, 0, 65535),
    publicUrl: url(env, 'PUBLIC_URL', ['http:', 'https:']),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseAppUrl: url(env, 'DATABASE_APP_URL', ['postgres:', 'postgresql:']),
    databaseAppPassword: str(env, 'DATABASE_APP_PASSWORD', null),
    databasePoolMax: int(env, 'DATABASE_POOL_MAX', 10, 1, 500),
    embeddedPgPort: int(env, 'EMBEDDED_PG_PORT', 54329, 1024, 65535),
    embeddedPgDir: str(env, 'EMBEDDED_PG_DIR', '.data/postgres') ?? '.data/postgres',
    migrateOnStart: bool(env, 'MIGRATE_ON_START', true),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    validateResponses: bool(env, 'VALIDATE_RESPONSES', nodeEnv !== 'production'),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
}
