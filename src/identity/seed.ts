import { randomUUID } from 'node:crypto';
import type { Role } from '../platform/http/auth.ts';
import { withTenant } from '../platform/tenancy.ts';
import { ACCOUNT_EMAIL, type IdentityDeps } from './context.ts';
import * as q from './queries.ts';

const DEMO_USERS: { username: string; password: string; role: Role }[] = [
  { username: 'admin', password: 'admin123', role: 'admin' },
  { username: 'analyst', password: 'analyst123', role: 'analyst' },
  { username: 'viewer', password: 'viewer123', role: 'viewer' },
];

/**
 * Creates tenant `demo` and its three users on first start. The short demo passwords are the only
 * ones exempt from the length rule (they never pass through the API's validation); never in production.
 */
export async function seedDemo(d: IdentityDeps): Promise<void> {
  if (d.config.nodeEnv === 'production') {
    d.log.error('refusing to seed the demo tenant: NODE_ENV is production');
    return;
  }
  const existing = await d.db.transaction().execute((trx) => q.findTenantIdBySlug(trx, 'demo'));
  if (existing) return;
  const tenantId = randomUUID();
  await withTenant(d.db, tenantId, async (trx) => {
    await q.insertTenant(trx, { id: tenantId, slug: 'demo', name: 'Demo Retail' });
    for (const u of DEMO_USERS) {
      const id = randomUUID();
      const email = `${u.username}@demo.tideline.dev`;
      await q.insertUser(trx, {
        id,
        email_ciphertext: d.cipher.encrypt(email, ACCOUNT_EMAIL),
        email_index: d.cipher.blindIndex(email, 'email', ACCOUNT_EMAIL),
        username: u.username,
        name: `Demo ${u.role}`,
        password_hash: await d.hasher.hash(u.password),
      });
      await q.insertMembership(trx, { tenant_id: tenantId, user_id: id, role: u.role });
    }
  });
  d.log.info('seeded tenant "demo" with users admin/admin123, analyst/analyst123, viewer/viewer123 (demo only)');
}
