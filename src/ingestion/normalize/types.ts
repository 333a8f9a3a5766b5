/**
 * What a normalizer returns. A known topic with a payload we cannot read is an error (retry, then
 * dead-letter); a topic we do not map is not an error, only nothing to do.
 */
import type { CommerceChange } from '../../commerce/index.ts';

/** The changes a delivery means, or why it means none. */
export type Normalized = { status: 'changes'; changes: CommerceChange[] } | { status: 'ignored'; reason: string };

/** One provider's mapping from (topic, parsed body) to canonical changes; pure and deterministic. */
export type Normalizer = (topic: string, body: unknown) => Normalized;

/** A known topic's payload lacks or garbles a field we need; `field` is its path in the body. */
export class NormalizeError extends Error {
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'NormalizeError';
    this.field = field;
  }
}

/** Wraps changes; saves every normalizer from spelling the union out. */
export const changes = (...list: CommerceChange[]): Normalized => ({ status: 'changes', changes: list });

/** The answer for a topic a normalizer does not map. */
export const unknownTopic = (topic: string): Normalized => ({ status: 'ignored', reason: `unknown topic ${topic}` });
