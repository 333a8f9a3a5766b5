import { sql } from 'kysely';
import type { Db } from './db.ts';
import { AppError, conflict } from './errors.ts';
import { withTenant } from './tenancy.ts';
import type { FieldCipher } from './crypto/index.ts';

const TTL_HOURS = 24;

/** A response as stored for replay. */
export interface StoredReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

// Stored responses can hold secrets shown once (a new API key) and personal data, and request
// bodies can hold passwords: the response is encrypted and the request only kept as a keyed hash.
const field = (tenantId: string, column: string) => ({ tenantId, table: 'idempotency_keys', column });

function requestHash(cipher: FieldCipher, tenantId: string, operationId: string, body: unknown): string {
  return cipher.blindIndex(`${operationId}\0${JSON.stringify(body ?? null)}`, 'exact', field(tenantId, 'request_hash'));
}

/**
 * Stripe semantics for creates: the first request with a key runs and its response is stored for
 * 24 h; the same key and body replays it; another body is 422; a request still running is 409.
 * The key is claimed in its own committed transaction, so a concurrent duplicate sees it at once.
 */
export async function idempotent(
  db: Db,
  cipher: FieldCipher,
  scope: { tenantId: string; principal: string; key: string; operationId: string; body: unknown },
  run: () => Promise<StoredReply>,
): Promise<StoredReply & { replayed: boolean }> {
  const { tenantId, principal, key, operationId } = scope;
  const hash = requestHash(cipher, tenantId, operationId, scope.body);
  const claimed = await withTenant(db, tenantId, async (trx) => {
    await sql`delete from idempotency_keys where principal = ${principal} and key = ${key} and expires_at <= now()`.execute(trx);
    const r = await sql`insert into idempotency_keys (tenant_id, principal, key, operation, request_hash, state, expires_at)
        values (${tenantId}, ${principal}, ${key}, ${operationId}, ${hash}, 'in_flight', now() + make_interval(hours => ${TTL_HOURS}))
        on conflict do nothing`.execute(trx);
    if (Number(r.numAffectedRows ?? 0) === 1) return null;
    const row = await sql<{ operation: string; request_hash: string; state: string; response_status: number | null; response_body: unknown }>`
        select operation, request_hash, state, response_status, response_body from idempotency_keys where principal = ${principal} and key = ${key}`.execute(trx);
    return row.rows[0] ?? null;
  });
  if (claimed) {
    if (claimed.operation !== operationId || claimed.request_hash !== hash) {
      throw new AppError(422, 'idempotency-key-reused', 'This Idempotency-Key was used with a different request.');
    }
    if (claimed.state !== 'completed' || claimed.response_status === null) throw conflict('A request with this Idempotency-Key is still being processed.');
    const envelope = (claimed.response_body as { enc?: string } | null)?.enc;
    const stored = envelope ? (JSON.parse(cipher.decrypt(envelope, field(tenantId, 'response_body'))) as { body?: unknown; headers?: Record<string, string> }) : null;
    return { status: claimed.response_status, ...(stored?.body === undefined ? {} : { body: stored.body }), ...(stored?.headers ? { headers: stored.headers } : {}), replayed: true };
  }
  try {
    const reply = await run();
    await withTenant(db, tenantId, (trx) =>
      sql`update idempotency_keys set state = 'completed', response_status = ${reply.status},
            response_body = ${JSON.stringify({ enc: cipher.encrypt(JSON.stringify({ body: reply.body, headers: reply.headers }), field(tenantId, 'response_body')) })}::jsonb
          where principal = ${principal} and key = ${key}`.execute(trx),
    );
    return { ...reply, replayed: false };
  } catch (err) {
    // A failed request leaves no trace: the client may retry it with the same key.
    await withTenant(db, tenantId, (trx) => sql`delete from idempotency_keys where principal = ${principal} and key = ${key}`.execute(trx));
    throw err;
  }
}
