import { createHmac, randomBytes } from 'node:crypto';

// GitHub-style secret format: a fixed prefix scanners can match, a random body, and a CRC32
// checksum so a typo is refused without a database lookup.
const PREFIX = 'tl_live_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 32;
const CHECK_LENGTH = 6;
const SHAPE = new RegExp(`^${PREFIX}([0-9A-Za-z]{${BODY_LENGTH}})_([0-9A-Za-z]{${CHECK_LENGTH}})$`);

function base62(bytes: Buffer, length: number): string {
  let out = '';
  for (const b of bytes) {
    // 62 * 4 = 248: rejecting bytes >= 248 keeps every character equally likely.
    if (b < 248) out += BASE62[b % 62];
    if (out.length === length) break;
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(Buffer.from(body));
  let out = '';
  for (let i = 0; i < CHECK_LENGTH; i++) {
    out = (BASE62[n % 62] ?? '0') + out;
    n = Math.floor(n / 62);
  }
  return out;
}

let table: Int32Array | null = null;
function crc32(buf: Buffer): number {
  // node:zlib's crc32 arrived in Node 22.2; this stays correct on older runtimes scripts may use.
  table ??= Int32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let crc = -1;
  for (const byte of buf) crc = (table[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** A new API key secret: `tl_live_<32 base62>_<6 base62 CRC32>`. */
export function generateApiKey(): string {
  let body = '';
  while (body.length < BODY_LENGTH) body += base62(randomBytes(48), BODY_LENGTH - body.length);
  return `${PREFIX}${body}_${checksum(body)}`;
}

/** Whether a string is shaped like a key and its checksum matches. */
export function isWellFormedApiKey(key: string): boolean {
  const m = SHAPE.exec(key);
  return !!m?.[1] && checksum(m[1]) === m[2];
}

/** What is stored: HMAC-SHA256 under the server pepper, so a leaked table cannot be checked offline. */
export function hashApiKey(key: string, pepper: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}

/** The parts kept for display: a short prefix and the last four characters. */
export function displayParts(key: string): { prefix: string; lastFour: string } {
  return { prefix: key.slice(0, PREFIX.length + 4), lastFour: key.slice(-4) };
}
