import { header, idString, parseJsonObject, pick, refuse, verifyTimestampedHmac } from './signatures.ts';
import type { Delivery, ProviderAdapter, Verification, VerifyContext } from './types.ts';

/** Checks the t/v1 signature (keyed with the whole `whsec_...` string, as Stripe's libraries do), then reads ids. */
function verifyStripe(delivery: Delivery, ctx: VerifyContext): Verification {
  const signature = header(delivery.headers, 'stripe-signature');
  const refusal = verifyTimestampedHmac(signature, delivery.rawBody, ctx.secrets, ctx.now, ctx.stripeToleranceSeconds);
  if (refusal !== null) return refusal;
  const body = parseJsonObject(delivery.rawBody);
  if (body === null) return refuse('malformed', 'body is not a JSON object');
  const id = idString(body.id);
  const topic = idString(body.type);
  if (id === null || topic === null) return refuse('malformed', 'body has no id or type');
  const resourceId = idString(pick(body, 'data', 'object', 'id'));
  return { ok: true, kind: 'event', topic, eventKey: id, providerEventId: id, resourceId, headers: {} };
}

/** Stripe: `Stripe-Signature: t=..,v1=..` over `${t}.${body}`, within the tolerance; identity from the `evt_` id. */
export const stripeAdapter: ProviderAdapter = {
  provider: 'stripe',
  verify: (delivery, ctx) => Promise.resolve(verifyStripe(delivery, ctx)),
};
