import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from './app.ts';
import { allQueues, domains } from './domains.ts';
import type { Config } from './platform/config.ts';
import type { Authenticator } from './platform/http/auth.ts';
import { identityAuthenticator } from './identity/index.ts';
import { loadSpec, type OpenApiDocument } from './platform/http/spec.ts';
import type { Domain } from './platform/domain.ts';
import { startWorkers } from './platform/jobs.ts';
import type { Logger } from './platform/log.ts';
import { startPlatform, type RunningPlatform } from './platform/runtime.ts';

/** A running Tideline process: its platform, its HTTP address when it serves, and how to stop it. */
export interface Server {
  platform: RunningPlatform;
  url: string | null;
  close(): Promise<void>;
}

export interface ServerOptions {
  redisPrefix?: string;
  /** Tests mount extra domains on a spec of their own; production uses the bundled one. */
  domains?: readonly Domain[];
  spec?: OpenApiDocument;
  authenticator?: (p: RunningPlatform) => Authenticator;
  pollingIntervalSeconds?: number;
}

/** Starts the platform, then HTTP and/or workers as TIDELINE_ROLE says. */
export async function startServer(config: Config, log: Logger, opts: ServerOptions = {}): Promise<Server> {
  const platform = await startPlatform(config, log, allQueues, opts.redisPrefix);
  let server: http.Server | null = null;
  let url: string | null = null;
  try {
    for (const d of opts.domains ?? domains) await d.start?.(platform);
    if (config.role !== 'api') {
      await startWorkers(platform.boss, platform.db, allQueues, { log, cipher: platform.cipher, config: platform.config, stores: platform.stores }, opts.pollingIntervalSeconds ? { pollingIntervalSeconds: opts.pollingIntervalSeconds } : {});
    }
    if (config.role !== 'worker') {
      const app = buildApp(platform, opts.domains ?? domains, opts.authenticator?.(platform) ?? identityAuthenticator(platform), opts.spec ?? loadSpec());
      server = http.createServer(app);
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(config.port, config.host, () => resolve());
      });
      const addr = s.address() as AddressInfo;
      url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    }
  } catch (err) {
    await platform.close();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    platform,
    url,
    close() {
      closing ??= (async () => {
        if (server) await drain(server, config.shutdownTimeoutMs);
        await platform.close();
      })();
      return closing;
    },
  };
}

/** Stops accepting connections, lets in-flight requests finish, and cuts whatever is left at the deadline. */
function drain(server: http.Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
