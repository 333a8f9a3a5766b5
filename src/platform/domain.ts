import type { RouteTable } from './http/handler.ts';
import type { EncryptedColumn } from './crypto/index.ts';
import type { QueueDef } from './jobs.ts';
import type { Platform } from './runtime.ts';

/** What a domain brings to the process: its handlers and its queues. */
export interface Domain {
  name: string;
  routes(platform: Platform): RouteTable;
  queues: readonly QueueDef<never>[];
  /** The columns it keeps field-encrypted, for re-encryption after a key rotation. */
  encrypted?: readonly EncryptedColumn[];
  /** Runs once when the process starts, before it serves (seeds, warm-ups). */
  start?(platform: Platform): Promise<void>;
}
