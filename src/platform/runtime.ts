import type { PgBoss } from 'pg-boss';
import type { Config } from './config.ts';
import { appRoleUrl, createDb, type Db } from './db.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded-postgres.ts';
import { createBoss, type QueueDef } from './jobs.ts';
import type { Logger } from './log.ts';
import { migrate } from './migrate.ts';
import { createStores, type Stores } from './redis.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { FieldCipher, devBlindIndexKey, devKeyRing, parseBlindIndexKey, parseKeyRing } from './crypto/index.ts';

/** The long-lived resources every domain is given: the app-role database, jobs, shared stores. */
export interface Platform {
  config: Config;
  log: Logger;
  db: Db;
  boss: PgBoss;
  stores: Stores;
  cipher: FieldCipher;
  metrics: Metrics;
  /** Seed the demo tenant: DEMO_SEED, or by default on the embedded database. */
  demoSeed: boolean;
  /** Whether pg-boss has started and not stopped (readiness reports it). */
  jobsRunning(): boolean;
}

/** A started platform and how to release it, in order. */
export interface RunningPlatform extends Platform {
  ownerUrl: string;
  appUrl: string;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

/** Connects (or starts the embedded Postgres), migrates when configured, and starts the job queue. */
export async function startPlatform(config: Config, log: Logger, queues: readonly QueueDef<never>[], redisPrefix?: string): Promise<RunningPlatform> {
  const cipher = cipherFromConfig(config, log);
  let embedded: EmbeddedServer | null = null;
  let ownerUrl = config.databaseUrl;
  let appPassword = config.databaseAppPassword;
  if (!ownerUrl) {
    embedded = await startEmbeddedPostgres(config.embeddedPgDir, config.embeddedPgPort, true);
    ownerUrl = embedded.url;
    // The embedded server asks every login for a password; this one never leaves the machine.
    appPassword ??= 'tideline_app';
    log.info({ dir: config.embeddedPgDir, port: config.embeddedPgPort }, `embedded Postgres running in ${config.embeddedPgDir} on port ${config.embeddedPgPort}`);
  }
  if (config.migrateOnStart || embedded) {
    const { applied } = await migrate(ownerUrl, 'latest', queues, appPassword);
    log.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
  }
  const appUrl = config.databaseAppUrl ?? appRoleUrl(ownerUrl, appPassword);
  const db = createDb(appUrl, config.databasePoolMax);
  const stores = createStores(config.redisUrl, log, redisPrefix ?? config.redisKeyPrefix);
  const boss = createBoss(appUrl, log);
  let running = false;
  await boss.start();
  running = true;
  return {
    config, log, db, boss, stores, cipher, ownerUrl, appUrl, embedded,
    metrics: createMetrics(),
    demoSeed: config.auth.demoSeed ?? embedded !== null,
    jobsRunning: () => running,
    async close() {
      running = false;
      // Graceful: active jobs finish (or are released for retry) before the pool closes.
      await boss.stop({ graceful: true, close: true, timeout: config.shutdownTimeoutMs }).catch((err: unknown) => log.warn({ err }, 'job queue stop'));
      await db.destroy();
      await stores.close();
      if (embedded) await embedded.stop();
    },
  };
}

/** The field cipher from FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY; fixed development keys when unset outside production. */
export function cipherFromConfig(config: Config, log: Logger): FieldCipher {
  const { fieldEncryptionKeys, blindIndexKey } = config.auth;
  if (!fieldEncryptionKeys || !blindIndexKey) {
    log.warn('FIELD_ENCRYPTION_KEYS or BLIND_INDEX_KEY is not set: personal data is encrypted under fixed development keys');
  }
  return new FieldCipher(
    fieldEncryptionKeys ? parseKeyRing(fieldEncryptionKeys) : devKeyRing(),
    blindIndexKey ? parseBlindIndexKey(blindIndexKey) : devBlindIndexKey(),
  );
}
