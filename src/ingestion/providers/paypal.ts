import { verify } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { decodeBase64Strict, header, idString, keepHeaders, parseJsonObject, pick, refuse } from './signatures.ts';
import type { Delivery, ProviderAdapter, Verification, VerifyContext } from './types.ts';

const KEPT_NAMES = Object.fromEntries(
  ['transmission-id', 'transmission-time', 'cert-url', 'auth-algo'].map((name) => [`paypal-${name}`, [`paypal-${name}`]]),
);

/** Checks the RSA-SHA256 signature over `id|time|webhookId|crc32(body)` with the certificate's key, then reads ids. */
async function verifyPaypal(delivery: Delivery, ctx: VerifyContext): Promise<Verification> {
  const h = (name: string): string | undefined => header(delivery.headers, `paypal-${name}`);
  const signatureText = h('transmission-sig');
  if (signatureText === undefined) return refuse('missing-signature', 'no paypal-transmission-sig header');
  const transmissionId = h('transmission-id');
  const transmissionTime = h('transmission-time');
  const certUrl = h('cert-url');
  if (transmissionId === undefined || transmissionTime === undefined || certUrl === undefined) {
    return refuse('malformed', 'missing paypal transmission headers');
  }
  if (h('auth-algo') !== 'SHA256withRSA') return refuse('malformed', 'unsupported paypal-auth-algo');
  const webhookId = ctx.settings.webhookId;
  if (!webhookId) return refuse('malformed', 'source has no paypal webhookId setting');
  const signature = decodeBase64Strict(signatureText);
  if (signature === null) return refuse('bad-signature', 'signature is not base64');

  let publicKey: string;
  try {
    publicKey = await ctx.certificates.publicKeyFor(certUrl, ctx.now);
  } catch (err) {
    return refuse('certificate', err instanceof Error ? err.message : 'certificate check failed');
  }
  // crc32 is unsigned decimal, exactly as PayPal computes it over the raw bytes.
  const message = `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(delivery.rawBody)}`;
  let valid: boolean;
  try {
    valid = verify('sha256', Buffer.from(message, 'utf8'), publicKey, signature);
  } catch {
    valid = false;
  }
  if (!valid) return refuse('bad-signature', 'paypal signature does not verify');

  const body = parseJsonObject(delivery.rawBody);
  if (body === null) return refuse('malformed', 'body is not a JSON object');
  const id = idString(body.id);
  const topic = idString(body.event_type);
  if (id === null || topic === null) return refuse('malformed', 'body has no id or event_type');
  const resourceId = idString(pick(body, 'resource', 'id'));
  return { ok: true, kind: 'event', topic, eventKey: id, providerEventId: id, resourceId, headers: keepHeaders(delivery.headers, KEPT_NAMES) };
}

/** PayPal: certificate-based RSA signature; no shared secret, so `ctx.secrets` is not used. */
export const paypalAdapter: ProviderAdapter = {
  provider: 'paypal',
  verify: verifyPaypal,
};
