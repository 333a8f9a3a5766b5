/**
 * A throwaway database for a script run (the test suite, the benchmarks): a fresh database on the
 * server a URL names, or on an ephemeral embedded Postgres in a temporary directory when none does.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/platform/embedded-postgres.ts';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs one statement on its own connection (CREATE/DROP DATABASE cannot share a transaction). */
export async function adminQuery(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** A Postgres server to make databases on: the one given, or an embedded one this process started. */
export interface ScratchServer {
  /** Owner connection string of the server's maintenance database. */
  base: string;
  /** Whether the server is the embedded one (its logins need passwords, DATABASE_APP_PASSWORD included). */
  embedded: boolean;
  /** Stops the embedded server and removes its directory; nothing for a given server. */
  stop(): Promise<void>;
}

/** Uses `serverUrl`'s server, or starts an embedded Postgres on a free port in a temporary `<tmpPrefix>*` directory. */
export async function openScratchServer(serverUrl: string | null, tmpPrefix: string): Promise<ScratchServer> {
  if (serverUrl) return { base: serverUrl, embedded: false, stop: () => Promise.resolve() };
  const dir = await mkdtemp(path.join(tmpdir(), tmpPrefix));
  // mkdtemp makes it 0700; run as root, Postgres runs as its own user and must reach inside.
  await chmod(dir, 0o755);
  let server: EmbeddedServer;
  try {
    server = await startEmbeddedPostgres(path.join(dir, 'pg'), await freePort(), false);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    base: server.url,
    embedded: true,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates database `name` on the server and answers its owner connection string. */
export async function createDatabase(server: ScratchServer, name: string): Promise<string> {
  await adminQuery(server.base, `create database ${name}`);
  const url = new URL(server.base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops database `name`, disconnecting whoever is still on it. */
export async function dropDatabase(server: ScratchServer, name: string): Promise<void> {
  await adminQuery(server.base, `drop database if exists ${name} with (force)`);
}
