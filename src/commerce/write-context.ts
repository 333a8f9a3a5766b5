import { sql } from 'kysely';
import type { FieldCipher } from '../platform/crypto/index.ts';
import type { Touch } from './rollups.ts';

/** Ids a long writer has already looked up, kept across its transactions (an import's batches). */
export interface WriteLookups {
  /** Store id by external id: stores are found or created once per import, not once per batch. */
  stores: Map<string, string>;
}

/** Where canonical rows come from: the source (null for the batch API and imports) and its tenant. */
export interface WriteContext {
  tenantId: string;
  sourceId: string | null;
  /** The store every order of this source belongs to, when the source is one store. */
  storeId: string | null;
  cipher: FieldCipher;
  /** Told, after the transaction commits, which moments' figures changed (cache invalidation). */
  invalidate?: (touches: readonly Touch[]) => Promise<void>;
  /**
   * When set, touched buckets are collected here and refreshed once by the caller (applyChanges):
   * one transaction then locks its buckets in one sorted step, so two writers cannot deadlock.
   */
  deferred?: Touch[];
  /**
   * A bulk writer (an import) that rebuilds the rollups of the range it wrote once, at its end, in
   * one aggregate (`rebuildRollups` with a window), instead of bucket by bucket after every batch.
   */
  bulk?: boolean;
  /** Lookups to reuse across this writer's transactions; only ids of committed rows belong here. */
  lookups?: WriteLookups;
}

/** Keeps, per key, the entry with the newest `updatedAt`: a batch may carry one object twice. */
export function newestBy<T>(items: readonly T[], key: (t: T) => string, updatedAt: (t: T) => string): T[] {
  const m = new Map<string, T>();
  for (const it of items) {
    const prev = m.get(key(it));
    if (!prev || Date.parse(updatedAt(it)) >= Date.parse(updatedAt(prev))) m.set(key(it), it);
  }
  return [...m.values()];
}

/** The rows of one source (null: the batch API and imports). */
export const sourceIs = (sourceId: string | null) => (sourceId === null ? sql<boolean>`source_id is null` : sql<boolean>`source_id = ${sourceId}`);
