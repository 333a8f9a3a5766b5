/**
 * The databases of one benchmark run: fresh ones named `tideline_bench_<random>[_<suffix>]` on the
 * DATABASE_URL server, or on an ephemeral embedded Postgres when DATABASE_URL is unset. All are
 * dropped, and the embedded server stopped, by `close`.
 */
import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase, openScratchServer, type ScratchServer } from '../../lib/scratch-database.ts';

/** Where the benchmark's databases live, and how to make more of them. */
export interface BenchDatabases {
  /** `external` (DATABASE_URL) or `embedded`. */
  kind: 'external' | 'embedded';
  /** The random part every database name of this run shares. */
  tag: string;
  /** Env a Tideline child needs besides DATABASE_URL (the app role's password on the embedded server). */
  serverEnv: Record<string, string>;
  /** Creates `tideline_bench_<tag>` (or `..._<suffix>`) and answers its owner URL. */
  create(suffix?: string): Promise<{ name: string; url: string }>;
  /** Drops every database made here and stops the embedded server; reports, never throws. */
  close(): Promise<void>;
}

/** Opens the server the benchmark's databases go on. */
export async function openBenchDatabases(): Promise<BenchDatabases> {
  const server: ScratchServer = await openScratchServer(process.env.DATABASE_URL || null, 'tideline-bench-');
  const tag = randomBytes(4).toString('hex');
  const made: string[] = [];
  return {
    kind: server.embedded ? 'embedded' : 'external',
    tag,
    // The embedded server asks every login for a password, the app role's too (as scripts/test.ts does).
    serverEnv: server.embedded ? { DATABASE_APP_PASSWORD: process.env.DATABASE_APP_PASSWORD ?? 'tideline_app' } : {},
    async create(suffix) {
      const name = `tideline_bench_${tag}${suffix ? `_${suffix}` : ''}`;
      const url = await createDatabase(server, name);
      made.push(name);
      return { name, url };
    },
    async close() {
      for (const name of made) {
        await dropDatabase(server, name).catch((err: unknown) => process.stderr.write(`could not drop bench database ${name}: ${String(err)}\n`));
      }
      await server.stop().catch((err: unknown) => process.stderr.write(`could not stop the embedded Postgres: ${String(err)}\n`));
    },
  };
}
