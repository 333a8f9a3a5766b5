/** What each part of the ingestion benchmark hands back to index.ts. */

/** Every problem found that should fail the run (empty: the part passed). */
export interface PartResult {
  problems: string[];
}
