/**
 * NDJSON records from a byte stream. Lines are split on the bytes (LF, CRLF), not with readline,
 * so that one line with no end cannot grow past a bound in memory, and invalid UTF-8 is one
 * line's rejection rather than U+FFFD silently written into a name. Row numbers are line numbers.
 */
import { parsePayload } from '../normalize/read.ts';
import type { RawRecord } from './types.ts';

/** The longest line kept; an order with 500 lines is well under it. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** A line of the file, decoded, or why it could not be. */
export type Line = { line: number; text: string } | { line: number; error: string };

const NL = 0x0a;
const CR = 0x0d;

/** Splits bytes into numbered UTF-8 lines without ever holding more than one line (up to `maxBytes`). */
export async function* splitLines(input: AsyncIterable<Buffer>, maxBytes = MAX_LINE_BYTES): AsyncGenerator<Line> {
  // fatal: refuse bad bytes. ignoreBOM false: a BOM at the start of the file is dropped, not read as text.
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let parts: Buffer[] = [];
  let size = 0;
  let line = 0;
  const finish = (): Line => {
    line += 1;
    const tooLong = size > maxBytes;
    const bytes = tooLong ? Buffer.alloc(0) : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    if (tooLong) return { line, error: `longer than ${maxBytes} bytes` };
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
    try {
      return { line, text: utf8.decode(bytes.subarray(0, end)) };
    } catch {
      return { line, error: 'not valid UTF-8' };
    }
  };
  for await (const chunk of input) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? chunk.length : nl;
      // Past the bound the bytes are only counted, and the line's parts are let go.
      if (size <= maxBytes && size + (end - start) > maxBytes) parts = [];
      else if (size <= maxBytes && end > start) parts.push(chunk.subarray(start, end));
      size += end - start;
      if (nl === -1) break;
      yield finish();
      start = nl + 1;
    }
  }
  if (size > 0) yield finish();
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Yields each non-blank line as a JSON object, or a rejection for a line that is not JSON or not an object. */
export async function* ndjsonRecords(input: AsyncIterable<Buffer>): AsyncGenerator<RawRecord> {
  for await (const l of splitLines(input)) {
    if ('error' in l) {
      yield { row: l.line, ok: false, reason: l.error };
      continue;
    }
    if (l.text.trim() === '') continue;
    let value: unknown;
    try {
      // parsePayload keeps integers past 2^53 as their digits: two 18-digit ids must not round to one.
      value = parsePayload(l.text);
    } catch (err) {
      yield { row: l.line, ok: false, reason: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
      continue;
    }
    yield isRecord(value) ? { row: l.line, ok: true, values: value } : { row: l.line, ok: false, reason: 'not a JSON object' };
  }
}
