/** Starts the webhook baseline server (baseline-server.ts) on the bench database. */
import path from 'node:path';
import { freePort } from '../../lib/scratch-database.ts';
import { spawnNode, waitForHttp, type Child } from '../lib/children.ts';
import { withOwner } from '../lib/owner.ts';

const SCRIPT = path.join(import.meta.dirname, 'baseline-server.ts');

/** The running baseline. */
export interface Baseline {
  child: Child;
  origin: string;
}

/** Creates `bench_baseline` as the owner, then starts the baseline and waits for it to answer. */
export async function startBaseline(databaseUrl: string): Promise<Baseline> {
  await withOwner(databaseUrl, (c) => c.query('create table if not exists bench_baseline (id bigserial, body bytea, received_at timestamptz default now())'));
  const port = await freePort();
  const child = spawnNode('baseline', SCRIPT, { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), NODE_ENV: 'development' });
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(child, `${origin}/health`);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { child, origin };
}
