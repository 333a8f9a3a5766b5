import type { RouteTable } from './http/handler.ts';
import type { QueueDef } from './jobs.ts';
import type { Platform } from './runtime.ts';

/** What a domain brings to the process: its handlers and its queues. */
export interface Domain {
  name: string;
  routes(platform: Platform): RouteTable;
  queues: readonly QueueDef<never>[];
  /** Runs once when the process starts, before it serves (seeds, warm-ups). */
  start?(platform: Platform): Promise<void>;
}
