import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { CertificateSource } from './types.ts';

/** How PayPal signing certificates are fetched and trusted. */
export interface PaypalCertificateOptions {
  /** Exact origins (scheme, host, port) a cert URL may point at, e.g. `https://api.paypal.com`. */
  allowedOrigins: string[];
  /** PEM roots the chain must end at; null means Node's bundled Mozilla roots. */
  trustedCaPems: string[] | null;
  /** The leaf's subject CN or a DNS subjectAltName must match; default /paypal/i. */
  subjectPattern?: RegExp;
  fetch?: typeof fetch;
  ttlMs?: number;
  maxBytes?: number;
}

interface LeafKey {
  publicKey: string;
  notBefore: number;
  validTo: number;
}

interface CachedKey {
  publicKey: string;
  notBefore: number;
  expiresAt: number;
}

const FETCH_TIMEOUT_MS = 5000;
const MAX_CERTS = 10;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The URL when its origin is allowed and it carries no credentials; throws otherwise, before anything is fetched. */
function allowedUrl(certUrl: string, origins: ReadonlySet<string>): URL {
  let url: URL;
  try {
    url = new URL(certUrl);
  } catch {
    throw new Error('paypal cert url is not a URL');
  }
  if (url.username !== '' || url.password !== '') throw new Error('paypal cert url carries credentials');
  if (!origins.has(url.origin)) throw new Error(`paypal cert url origin ${url.origin} is not allowed`);
  return url;
}

/** Reads at most `maxBytes` of the body; stops reading (and cancels) as soon as it is over. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new Error('response is too large');
  if (response.body === null) return '';
  // Node's Response types its body loosely; fetch bodies are always byte streams.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new Error('response is too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** True when `now` is inside the certificate's validity window. */
function inWindow(cert: X509Certificate, now: Date): boolean {
  return cert.validFromDate.getTime() <= now.getTime() && now.getTime() <= cert.validToDate.getTime();
}

/** True when `child` names `parent` as issuer and carries its valid signature. */
function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return parent.ca && child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** The names a subject pattern is matched against: subject CNs and DNS subjectAltNames. */
function leafNames(leaf: X509Certificate): string[] {
  const cns = leaf.subject.split('\n').filter((line) => line.startsWith('CN=')).map((line) => line.slice(3));
  const sans = (leaf.subjectAltName ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  return [...cns, ...sans];
}

/** Checks a leaf-first bundle against the trusted roots at `now`; returns what to cache. Throws on any failure. */
function checkBundle(pem: string, roots: readonly X509Certificate[], subject: RegExp, now: Date): LeafKey {
  const pems = pem.match(PEM_CERT) ?? [];
  if (pems.length === 0 || pems.length > MAX_CERTS) throw new Error(`paypal certificate bundle has ${pems.length} certificates`);
  const chain = pems.map((p) => {
    try {
      return new X509Certificate(p);
    } catch {
      throw new Error('paypal certificate bundle holds an unparseable certificate');
    }
  });
  for (const cert of chain) if (!inWindow(cert, now)) throw new Error(`paypal certificate ${cert.subject.replace(/\n/g, ', ')} is not valid now`);
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issuedBy(chain[i] as X509Certificate, chain[i + 1] as X509Certificate)) throw new Error(`paypal certificate ${i} is not issued by the next`);
  }
  const last = chain[chain.length - 1] as X509Certificate;
  // The bundle may end with the root itself; otherwise its last certificate must be signed by a trusted root.
  const anchored = roots.some((root) => inWindow(root, now) && (root.fingerprint256 === last.fingerprint256 || issuedBy(last, root)));
  if (!anchored) throw new Error('paypal certificate chain does not end at a trusted CA');
  const leaf = chain[0] as X509Certificate;
  if (!leafNames(leaf).some((name) => subject.test(name))) throw new Error('paypal certificate subject does not match');
  const publicKey = leaf.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { publicKey, notBefore: leaf.validFromDate.getTime(), validTo: leaf.validToDate.getTime() };
}

/** A CertificateSource that fetches PayPal's cert bundle only from allowed origins, checks the chain, and caches the key. */
export function createPaypalCertificateSource(options: PaypalCertificateOptions): CertificateSource {
  const origins = new Set(options.allowedOrigins.map((o) => new URL(o).origin));
  const roots = (options.trustedCaPems ?? rootCertificates).map((p) => new X509Certificate(p));
  // A global or sticky regex keeps lastIndex between test() calls and would skip matches.
  const basePattern = options.subjectPattern ?? /paypal/i;
  const subject = new RegExp(basePattern.source, basePattern.flags.replace(/[gy]/g, ''));
  const doFetch = options.fetch ?? fetch;
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const cache = new Map<string, Promise<CachedKey>>();

  /** Fetches and checks one bundle; the key is cached for the ttl but never past the leaf's validTo. */
  async function load(url: URL, now: Date): Promise<CachedKey> {
    let pem: string;
    try {
      // No redirects: a redirect could lead away from the allowed origin.
      const response = await doFetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      pem = await readCapped(response, maxBytes);
    } catch (err) {
      throw new Error(`paypal certificate fetch failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const leaf = checkBundle(pem, roots, subject, now);
    return { publicKey: leaf.publicKey, notBefore: leaf.notBefore, expiresAt: Math.min(now.getTime() + ttlMs, leaf.validTo) };
  }

  /** The cached key when still usable at `now`; otherwise one shared fetch per URL (failures are not cached). */
  async function publicKeyFor(certUrl: string, now: Date): Promise<string> {
    const url = allowedUrl(certUrl, origins);
    const key = url.href;
    const cached = cache.get(key);
    if (cached) {
      const entry = await cached;
      if (entry.notBefore <= now.getTime() && now.getTime() < entry.expiresAt) return entry.publicKey;
      // Expired: the first caller to notice starts the refetch; the others find it in the cache and share it.
      if (cache.get(key) !== cached) return publicKeyFor(certUrl, now);
    }
    const pending = load(url, now);
    cache.set(key, pending);
    pending.catch(() => {
      if (cache.get(key) === pending) cache.delete(key);
    });
    return (await pending).publicKey;
  }

  return { publicKeyFor };
}
