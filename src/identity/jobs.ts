import { sql } from 'kysely';
import { defineQueue, tenantPayload, type QueueDef } from '../platform/jobs.ts';
import { ACCOUNT_EMAIL } from './context.ts';
import './tables.ts';

const BATCH = 500;

/**
 * After a key rotation: moves the emails of one tenant's members onto the active key; batches loop inside the job until none is left.
 */
export const reencryptEmails = defineQueue<{ tenantId: string }>({
  name: 'identity-reencrypt-emails',
  retryLimit: 5,
  retryDelay: 10,
  parse: (data) => ({ tenantId: tenantPayload(data).tenantId }),
  async handle(trx, _payload, { cipher }) {
    for (;;) {
      const rows = await trx
        .selectFrom('users')
        .select(['id', 'email_ciphertext'])
        .where('email_ciphertext', 'not like', `v1.${cipher.activeKeyId.replace(/[\\%_]/g, '\\$&')}.%`)
        .limit(BATCH)
        .forUpdate()
        .skipLocked()
        .execute();
      for (const r of rows) {
        await trx.updateTable('users').set({ email_ciphertext: cipher.reencrypt(r.email_ciphertext, ACCOUNT_EMAIL), updated_at: sql<Date>`now()` }).where('id', '=', r.id).execute();
      }
      if (rows.length < BATCH) return;
    }
  },
});

export const identityQueues: readonly QueueDef<never>[] = [reencryptEmails as QueueDef<never>];
