import { Kysely } from 'kysely';
import { createDb, type Database } from '../../src/platform/db.ts';
import { loadConfig, type Config } from '../../src/platform/config.ts';
import { createLogger, type Logger } from '../../src/platform/log.ts';
import { startServer, type Server, type ServerOptions } from '../../src/server.ts';

/** One running Tideline for the whole suite, plus an owner connection for asserting on rows. */
export interface Harness {
  url: string;
  server: Server;
  config: Config;
  /** Connected as the owner role: sees every tenant's rows. Assertions only; never to set up app state. */
  owner: Kysely<Database>;
}

/** Configuration for a test server: a random port, quiet logs, the test database the runner made. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    TIDELINE_ROLE: 'all',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...overrides,
  });
}

/** A Redis key prefix of this run's own, so parallel runs on one Redis never see each other's keys. */
export const redisPrefix = `tideline-test:${process.env.TEST_DATABASE_NAME ?? 'local'}:`;

/** Starts a server on the test database with the given options (callers close it). */
export async function startTestServer(opts: ServerOptions = {}, overrides: Record<string, string> = {}, log?: Logger): Promise<Server> {
  const config = testConfig(overrides);
  return startServer(config, log ?? createLogger(config.logLevel), {
    redisPrefix,
    pollingIntervalSeconds: 0.5,
    ...opts,
  });
}

let shared: Promise<Harness> | null = null;

/** The suite's shared server, started on first use. */
export function harness(): Promise<Harness> {
  shared ??= (async () => {
    const server = await startTestServer();
    const owner = createDb(server.platform.ownerUrl, 4, 'tideline-test-owner');
    return { url: `${server.url ?? ''}/api/v1`, server, config: server.platform.config, owner };
  })();
  return shared;
}

/** Stops the shared server, if one was started. */
export async function closeHarness(): Promise<void> {
  if (!shared) return;
  const h = await shared;
  shared = null;
  await h.owner.destroy();
  await h.server.close();
}
