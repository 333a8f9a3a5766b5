/**
 * CSV records from a byte stream, one at a time with backpressure, keyed by the header row.
 * Row numbers are the line (counting LF line breaks) where the record starts, the header being
 * row 1, so blank lines and quoted fields spanning lines do not throw the numbering off: a user
 * can open the file at the line a rejection names. They are counted here rather than taken from
 * csv-parse's `info.lines`, which counts a CR inside a quoted field as a line of its own.
 */
import { Readable, pipeline } from 'node:stream';
import { CsvError, parse, type Info } from 'csv-parse';
import { ImportFormatError } from './errors.ts';
import type { RawRecord } from './types.ts';

// Bounds the memory a never-closed quote can take: without it, csv-parse buffers up to the end of the file.
const MAX_RECORD_CHARS = 1024 * 1024;

// Line breaks inside a record's (quoted) fields.
function lineBreaks(record: readonly string[]): number {
  let n = 0;
  for (const field of record) {
    for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) n += 1;
  }
  return n;
}

function checkHeader(header: readonly string[], required: readonly string[]): string[] {
  const seen = new Set<string>();
  const dupes = header.filter((h) => seen.size === seen.add(h).size);
  if (dupes.length > 0) throw new ImportFormatError(`the header repeats columns: ${[...new Set(dupes)].join(', ')}`);
  const missing = required.filter((c) => !seen.has(c));
  if (missing.length > 0) throw new ImportFormatError(`the header lacks required columns: ${missing.join(', ')} (it has ${header.join(', ')})`);
  return [...header];
}

/**
 * Yields each data record of a CSV file as column name → text, or a rejection for a record with the
 * wrong number of fields. A missing required column, or a syntax error that leaves the rest of the
 * file unreadable (a quote that never closes), throws ImportFormatError.
 */
export async function* csvRecords(input: AsyncIterable<Buffer>, required: readonly string[]): AsyncGenerator<RawRecord> {
  // relax_column_count: a short or long record is this row's problem, reported below, not the file's.
  // record_delimiter: both endings, always; csv-parse would otherwise lock onto the first one it sees.
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    trim: true,
    info: true,
    record_delimiter: ['\r\n', '\n'],
    max_record_size: MAX_RECORD_CHARS,
  });
  // pipeline, not pipe: an error reading the input destroys the parser, so the loop below throws it.
  pipeline(Readable.from(input), parser, () => {});
  let header: string[] | null = null;
  let next = 1;
  let empty = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      // A record starts after the previous one and the blank lines skipped since, and spans its quoted line breaks.
      const row = next + (info.empty_lines - empty);
      empty = info.empty_lines;
      next = row + 1 + lineBreaks(record);
      // A line of only spaces trims to one empty field: blank, not a one-column record.
      if (record.length === 1 && record[0] === '') continue;
      if (header === null) {
        header = checkHeader(record, required);
        continue;
      }
      if (record.length !== header.length) {
        yield { row, ok: false, reason: `expected ${header.length} columns, found ${record.length}` };
        continue;
      }
      const values: Record<string, string> = Object.fromEntries(header.map((column, i) => [column, record[i] ?? '']));
      yield { row, ok: true, values };
    }
  } catch (err) {
    if (err instanceof CsvError) throw new ImportFormatError(`CSV syntax error: ${err.message}`, { cause: err });
    throw err;
  }
  if (header === null) throw new ImportFormatError('the file is empty: expected a header row');
}
