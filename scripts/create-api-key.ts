/** `node scripts/create-api-key.ts --tenant acme --name ingest --scopes ingest:write,analytics:read [--expires 2027-01-01T00:00:00Z]`. */
import { createApiKey } from '../src/identity/service-api-keys.ts';
import { findTenantIdBySlug } from '../src/identity/queries.ts';
import type { Scope } from '../src/identity/tables.ts';
import { OPERATOR, flags, runOperator } from './lib/operator.ts';

const SCOPES: readonly Scope[] = ['ingest:write', 'analytics:read', 'analytics:run', 'diagnostics:read', 'diagnostics:operate', 'diagnostics:admin', 'identity:admin'];
const f = flags('create-api-key --tenant SLUG --name NAME --scopes a:b,c:d [--expires ISO-8601]', ['tenant', 'name', 'scopes', 'expires'], ['tenant', 'name', 'scopes']);
const scopes = (f.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
if (scopes.length === 0 || unknown.length > 0) {
  process.stderr.write(`unknown scopes: ${unknown.join(', ') || '(none given)'}; known: ${SCOPES.join(', ')}\n`);
  process.exit(1);
}
await runOperator(async (d) => {
  const tenantId = await d.db.transaction().execute((trx) => findTenantIdBySlug(trx, f.tenant ?? ''));
  if (!tenantId) throw new Error(`no tenant with slug "${f.tenant ?? ''}"`);
  const key = await createApiKey(d, tenantId, { name: f.name ?? '', scopes: scopes as Scope[], ...(f.expires ? { expires_at: f.expires } : {}) }, OPERATOR);
  process.stdout.write(`API key ${key.id} (${key.scopes.join(', ')}). Shown once, store it now:\n${key.key}\n`);
});
