import { ConfigError, loadConfig, type Config } from './platform/config.ts';
import { createLogger } from './platform/log.ts';
import { KeyConfigError } from './platform/crypto/index.ts';
import { startServer } from './server.ts';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const log = createLogger(config.logLevel);
try {
  const server = await startServer(config, log);
  if (server.url) {
    const shown = config.publicUrl ?? server.url;
    log.info({ role: config.role }, `Tideline API on ${shown}/api/v1 — reference at ${shown}/docs`);
  } else {
    log.info({ role: config.role }, 'Tideline worker running');
  }
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    server.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (err) {
  if (err instanceof KeyConfigError) {
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(1);
  }
  log.fatal({ err }, 'start failed');
  process.exit(1);
}
