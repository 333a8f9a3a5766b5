import type { ColumnType, Generated } from 'kysely';
import type { Role } from '../platform/http/auth.ts';
import type { components } from '../../generated/api.ts';

export type Scope = components['schemas']['ApiKey']['scopes'][number];

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  created_at: Timestamp;
}

export interface UsersTable {
  id: string;
  email_ciphertext: string;
  email_index: string;
  username: string | null;
  name: string | null;
  password_hash: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_login_at: NullableTimestamp;
}

export interface MembershipsTable {
  tenant_id: string;
  user_id: string;
  role: Role;
  disabled_at: NullableTimestamp;
  tokens_valid_after: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RefreshTokensTable {
  tenant_id: string;
  id: string;
  family_id: string;
  user_id: string;
  token_hash: string;
  parent_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  rotated_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
}

export interface RevokedTokensTable {
  tenant_id: string;
  jti: string;
  expires_at: Timestamp;
  revoked_at: Timestamp;
}

export interface ApiKeysTable {
  tenant_id: string;
  id: string;
  name: string;
  prefix: string;
  last_four: string;
  key_hash: string;
  scopes: Scope[];
  created_by: string | null;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
}

export interface AuditEventsTable {
  tenant_id: string;
  id: Generated<string>;
  occurred_at: Timestamp;
  action: string;
  actor_type: 'user' | 'api_key' | 'system' | 'anonymous';
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
}

declare module '../platform/db.ts' {
  interface Database {
    tenants: TenantsTable;
    users: UsersTable;
    memberships: MembershipsTable;
    refresh_tokens: RefreshTokensTable;
    revoked_tokens: RevokedTokensTable;
    api_keys: ApiKeysTable;
    audit_events: AuditEventsTable;
  }
}
