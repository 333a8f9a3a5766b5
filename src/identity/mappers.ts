import type { FieldCipher } from '../platform/crypto/index.ts';
import { ACCOUNT_EMAIL } from './context.ts';
import type { MemberRow } from './queries.ts';
import type { ApiKeysTable, AuditEventsTable } from './tables.ts';
import type { Selectable } from 'kysely';

/** The API shape of a user, with the email decrypted. */
export function memberRowToUser(row: MemberRow, cipher: FieldCipher) {
  return {
    id: row.id,
    email: cipher.decrypt(row.email_ciphertext, ACCOUNT_EMAIL),
    username: row.username,
    name: row.name,
    role: row.role,
    status: row.disabled_at ? ('disabled' as const) : ('active' as const),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_login_at: row.last_login_at?.toISOString() ?? null,
  };
}

/** The API shape of an API key: never its secret or hash. */
export function apiKeyRowToApiKey(row: Selectable<ApiKeysTable>) {
  const expired = row.expires_at !== null && row.expires_at.getTime() <= Date.now();
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    prefix: row.prefix,
    last_four: row.last_four,
    status: row.revoked_at ? ('revoked' as const) : expired ? ('expired' as const) : ('active' as const),
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    created_by: row.created_by,
  };
}

/** The API shape of an audit event. */
export function auditRowToAuditEvent(row: Selectable<AuditEventsTable>) {
  return {
    id: row.id,
    occurred_at: row.occurred_at.toISOString(),
    action: row.action,
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    target_type: row.target_type,
    target_id: row.target_id,
    ip: row.ip,
    user_agent: row.user_agent,
    request_id: row.request_id,
    details: row.details,
  };
}
