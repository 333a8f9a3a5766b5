import type { EncryptedColumn } from './platform/crypto/index.ts';
import type { Domain } from './platform/domain.ts';
import type { QueueDef } from './platform/jobs.ts';
import { commerceDomain } from './commerce/index.ts';
import { identityDomain } from './identity/index.ts';
import { ingestionDomain } from './ingestion/index.ts';
import { opsDomain } from './ops/index.ts';

/** Every domain of the process, in the order their routes are mounted. */
export const domains: readonly Domain[] = [opsDomain, identityDomain, ingestionDomain, commerceDomain];

/** Every queue of every domain: migrations install them, workers consume them. */
export const allQueues: readonly QueueDef<never>[] = domains.flatMap((d) => d.queues);

/** Every field-encrypted column of every domain: what a re-encryption after a key rotation covers. */
export const allEncryptedColumns: readonly EncryptedColumn[] = domains.flatMap((d) => d.encrypted ?? []);
