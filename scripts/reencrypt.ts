/**
 * `node scripts/reencrypt.ts [--tenant SLUG]`: after a new key was appended to
 * FIELD_ENCRYPTION_KEYS, moves every field-encrypted value (account emails, customer emails and
 * names, raw webhook bodies, source secrets) of one tenant or every tenant onto the active key,
 * in short batches. Safe to run while the server serves, and to run again: values already under
 * the active key are left alone. Once it reports nothing left anywhere, older keys can go.
 */
import { parseArgs } from 'node:util';
import { listTenants, runWithPlatform } from './lib/operator.ts';
import { allEncryptedColumns } from '../src/domains.ts';
import { reencryptTenant } from '../src/platform/crypto/index.ts';

const USAGE = 'usage: reencrypt [--tenant SLUG]\n';

let tenantSlug: string | undefined;
try {
  tenantSlug = parseArgs({ options: { tenant: { type: 'string' } }, strict: true }).values.tenant;
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(1);
}

await runWithPlatform(async (platform) => {
  const tenants = await listTenants(platform.ownerUrl, tenantSlug);
  if (tenants.length === 0) process.stdout.write('no tenants\n');
  process.stdout.write(`active key: ${platform.cipher.activeKeyId}\n`);
  for (const t of tenants) {
    const started = performance.now();
    const report = await reencryptTenant(platform.db, platform.cipher, t.id, allEncryptedColumns);
    const moved = Object.entries(report).filter(([, n]) => n > 0).map(([col, n]) => `${col} ${n}`);
    const ms = Math.round(performance.now() - started);
    process.stdout.write(`${t.slug}: ${moved.length === 0 ? 'nothing to move' : moved.join(', ')} (${ms} ms)\n`);
  }
});
