/** `node scripts/create-tenant.ts --slug acme --name "Acme" --email admin@acme.test --password '…'`: a tenant and its first admin. */
import { signUp } from '../src/identity/service-sessions.ts';
import { OPERATOR, flags, runOperator } from './lib/operator.ts';

const f = flags('create-tenant --slug SLUG --name NAME --email EMAIL --password PASSWORD [--username NAME]', ['slug', 'name', 'email', 'password', 'username'], ['slug', 'name', 'email', 'password']);
if ((f.password ?? '').length < 12) {
  process.stderr.write('the password must be at least 12 characters\n');
  process.exit(1);
}
await runOperator(async (d) => {
  const s = await signUp(d, { tenant_slug: f.slug ?? '', tenant_name: f.name ?? '', email: f.email ?? '', password: f.password ?? '', ...(f.username ? { username: f.username } : {}) }, OPERATOR, { operator: true });
  process.stdout.write(`created tenant ${s.tenant.slug} (${s.tenant.id}) with admin ${s.user.email} (${s.user.id})\n`);
});
