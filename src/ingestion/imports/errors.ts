/**
 * The two ways an import goes wrong: a row that does not validate (rejected, counted, the rest go
 * on) and a file that cannot be read at all (the whole import fails).
 */
import type { RowResult } from './types.ts';

/** The file as a whole is unreadable (a required column is missing, a quote never closes): the import fails. */
export class ImportFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImportFormatError';
  }
}

/** One value of one row is wrong; the message is the rejection reason ("Date: not a date (2015-02-30)"). */
export class RowError extends Error {
  readonly column: string;

  constructor(column: string, problem: string) {
    super(`${column}: ${problem}`);
    this.name = 'RowError';
    this.column = column;
  }
}

/** Runs a row mapper, turning its RowError into a rejection; any other error is a bug and propagates. */
export function attempt<T>(map: () => T): RowResult<T> {
  try {
    return { ok: true, value: map() };
  } catch (err) {
    if (err instanceof RowError) return { ok: false, reason: err.message };
    throw err;
  }
}
