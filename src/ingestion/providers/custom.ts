import { header, idString, keepHeaders, parseJsonObject, refuse, verifyTimestampedHmac } from './signatures.ts';
import type { Delivery, ProviderAdapter, Verification, VerifyContext } from './types.ts';

const KEPT_NAMES = { 'tideline-event-id': ['tideline-event-id'], 'tideline-topic': ['tideline-topic'] } as const;

/** Checks the Stripe-like t/v1 signature, then takes event id and topic from headers or the body. */
function verifyCustom(delivery: Delivery, ctx: VerifyContext): Verification {
  const signature = header(delivery.headers, 'tideline-signature');
  const refusal = verifyTimestampedHmac(signature, delivery.rawBody, ctx.secrets, ctx.now, ctx.stripeToleranceSeconds);
  if (refusal !== null) return refusal;
  const body = parseJsonObject(delivery.rawBody);
  if (body === null) return refuse('malformed', 'body is not a JSON object');
  // Headers first, so a sender can name the event without shaping its body around us.
  const eventId = header(delivery.headers, 'tideline-event-id') ?? idString(body.id);
  const topic = header(delivery.headers, 'tideline-topic') ?? idString(body.type);
  if (eventId === null || topic === null) return refuse('malformed', 'no event id or topic');
  const headers = keepHeaders(delivery.headers, KEPT_NAMES);
  return { ok: true, kind: 'event', topic, eventKey: eventId, providerEventId: eventId, resourceId: null, headers };
}

/** Tideline's own scheme for other platforms: `Tideline-Signature: t=..,v1=..`, modelled on Stripe's. */
export const customAdapter: ProviderAdapter = {
  provider: 'custom',
  verify: (delivery, ctx) => Promise.resolve(verifyCustom(delivery, ctx)),
};
