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
  redisKeyPrefix: string;
  auth: AuthConfig;
  limits: LimitConfig;
  ingestion: IngestionConfig;
}

export interface IngestionConfig {
  /** Per-route body limits, by the name an operation gives in `x-body-limit`. */
  bodyLimits: { webhook: number; events: number; import: number };
  stripeToleranceSeconds: number;
  /** How long a rotated-out secret stays valid unless the rotation says otherwise. */
  secretOverlapSeconds: number;
  /** Origins PayPal certificates may be fetched from; nothing else is ever requested. */
  paypalCertOrigins: string[];
  /** Extra trusted roots for PayPal certificate chains (PEM); none means the system's roots. */
  paypalCaPem: string | null;
  /** A regular expression the leaf certificate's subject name must match. */
  paypalCertSubject: string;
  /** Deliveries per source per minute; WooCommerce never retries, so its limit is generous. */
  webhooksPerSourcePerMinute: number;
  wooWebhooksPerSourcePerMinute: number;
  normalizeRetryLimit: number;
  /** How long a webhook source read stays in memory; a change elsewhere is seen within it (0: every delivery reads). */
  webhookSourceCacheSeconds: number;
}

export interface AuthConfig {
  jwtAlgorithm: 'HS256' | 'EdDSA';
  /** HS256: the shared secret. EdDSA: a PKCS#8 PEM private key (the JWKS publishes its public half). */
  jwtSecret: string | null;
  jwtPrivateKeyPem: string | null;
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  signupEnabled: boolean;
  demoSeed: boolean | null;
  fieldEncryptionKeys: string | null;
  blindIndexKey: string | null;
  apiKeyPepper: string | null;
  argon2MemoryKib: number;
  argon2TimeCost: number;
  argon2Parallelism: number;
}

export interface LimitConfig {
  tenantPerMinute: number;
  apiKeyPerMinute: number;
  loginPerIpPerMinute: number;
  loginFailuresBeforeLockout: number;
  lockoutSeconds: number;
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
    redisKeyPrefix: str(env, 'REDIS_KEY_PREFIX', 'tideline:') ?? 'tideline:',
    auth: authConfig(env, nodeEnv),
    limits: {
      tenantPerMinute: int(env, 'RATE_LIMIT_TENANT_PER_MINUTE', 6000, 1, 10_000_000),
      apiKeyPerMinute: int(env, 'RATE_LIMIT_API_KEY_PER_MINUTE', 1200, 1, 10_000_000),
      loginPerIpPerMinute: int(env, 'RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE', 30, 1, 100_000),
      loginFailuresBeforeLockout: int(env, 'LOGIN_FAILURES_BEFORE_LOCKOUT', 10, 1, 1000),
      lockoutSeconds: int(env, 'LOGIN_LOCKOUT_SECONDS', 900, 1, 86_400),
    },
    ingestion: ingestionConfig(env),
  };
}

function list(env: Env, name: string, fallback: string[]): string[] {
  const raw = str(env, name, null);
  return raw === null ? fallback : raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

// The host name PayPal's webhook signing certificates are issued to (live and sandbox).
const DEFAULT_PAYPAL_SUBJECT = '^messageverificationcerts\\.(sandbox\\.)?paypal\\.com$';

function ingestionConfig(env: Env): IngestionConfig {
  const origins = list(env, 'PAYPAL_CERT_ORIGINS', ['https://api.paypal.com', 'https://api.sandbox.paypal.com', 'https://api-m.paypal.com', 'https://api-m.sandbox.paypal.com']);
  for (const o of origins) {
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      throw new ConfigError(`PAYPAL_CERT_ORIGINS must list origins such as https://api.paypal.com (got "${o}")`);
    }
    if (u.origin !== o) throw new ConfigError(`PAYPAL_CERT_ORIGINS must list bare origins, scheme://host[:port] (got "${o}")`);
  }
  return {
    bodyLimits: {
      webhook: int(env, 'WEBHOOK_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
      events: int(env, 'EVENTS_BODY_LIMIT_BYTES', 8 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      import: int(env, 'IMPORT_MAX_BYTES', 512 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    },
    stripeToleranceSeconds: int(env, 'STRIPE_TOLERANCE_SECONDS', 300, 1, 86_400),
    secretOverlapSeconds: int(env, 'SOURCE_SECRET_OVERLAP_SECONDS', 86_400, 0, 30 * 86_400),
    paypalCertOrigins: origins,
    paypalCaPem: str(env, 'PAYPAL_CA_PEM', null),
    paypalCertSubject: str(env, 'PAYPAL_CERT_SUBJECT', DEFAULT_PAYPAL_SUBJECT) ?? DEFAULT_PAYPAL_SUBJECT,
    webhooksPerSourcePerMinute: int(env, 'RATE_LIMIT_WEBHOOKS_PER_SOURCE_PER_MINUTE', 6000, 1, 10_000_000),
    wooWebhooksPerSourcePerMinute: int(env, 'RATE_LIMIT_WOO_WEBHOOKS_PER_SOURCE_PER_MINUTE', 60_000, 1, 10_000_000),
    // At most 9: the queue itself retries 10 times, and the dead letter is written on the last attempt it makes.
    normalizeRetryLimit: int(env, 'NORMALIZE_RETRY_LIMIT', 5, 0, 9),
    webhookSourceCacheSeconds: int(env, 'WEBHOOK_SOURCE_CACHE_SECONDS', 5, 0, 300),
  };
}

function authConfig(env: Env, nodeEnv: NodeEnv): AuthConfig {
  const jwtAlgorithm = oneOf(env, 'JWT_ALGORITHM', ['HS256', 'EdDSA'] as const, 'HS256');
  const jwtSecret = str(env, 'JWT_SECRET', null);
  const jwtPrivateKeyPem = str(env, 'JWT_PRIVATE_KEY', null);
  if (jwtAlgorithm === 'HS256' && jwtSecret !== null && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 bytes for HS256');
  }
  if (nodeEnv === 'production') {
    if (jwtAlgorithm === 'HS256' && jwtSecret === null) throw new ConfigError('JWT_SECRET is required in production (at least 32 bytes)');
    if (jwtAlgorithm === 'EdDSA' && jwtPrivateKeyPem === null) throw new ConfigError('JWT_PRIVATE_KEY is required in production with JWT_ALGORITHM=EdDSA (PKCS#8 PEM Ed25519 key)');
    for (const name of ['FIELD_ENCRYPTION_KEYS', 'BLIND_INDEX_KEY', 'API_KEY_PEPPER']) {
      if (str(env, name, null) === null) throw new ConfigError(`${name} is required in production`);
    }
  }
  const demo = str(env, 'DEMO_SEED', null);
  return {
    jwtAlgorithm,
    jwtSecret,
    jwtPrivateKeyPem,
    jwtIssuer: str(env, 'JWT_ISSUER', 'tideline') ?? 'tideline',
    jwtAudience: str(env, 'JWT_AUDIENCE', 'tideline-api') ?? 'tideline-api',
    accessTokenTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 900, 30, 86_400),
    refreshTokenTtlSeconds: int(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 86_400, 60, 365 * 86_400),
    signupEnabled: bool(env, 'SIGNUP_ENABLED', true),
    demoSeed: demo === null ? null : bool(env, 'DEMO_SEED', false),
    fieldEncryptionKeys: str(env, 'FIELD_ENCRYPTION_KEYS', null),
    blindIndexKey: str(env, 'BLIND_INDEX_KEY', null),
    apiKeyPepper: str(env, 'API_KEY_PEPPER', null),
    argon2MemoryKib: int(env, 'ARGON2_MEMORY_KIB', 19_456, 1024, 4_194_304),
    argon2TimeCost: int(env, 'ARGON2_TIME_COST', 2, 1, 100),
    argon2Parallelism: int(env, 'ARGON2_PARALLELISM', 1, 1, 64),
  };
}
