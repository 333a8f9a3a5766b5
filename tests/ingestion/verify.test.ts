import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  PROVIDERS,
  adapterFor,
  createPaypalCertificateSource,
  type CertificateSource,
  type Delivery,
  type ProviderAdapter,
  type RefusalReason,
  type Verification,
  type VerifiedEvent,
  type VerifyContext,
} from '../../src/ingestion/providers/index.ts';
import { createPaypalTestPki, serveCertificates, signPaypalDelivery, type CertServer, type PaypalTestPki } from '../helpers/paypal-certs.ts';
import {
  customHeaders,
  shopifyHeaders,
  stripeHeaders,
  timestampedHmac,
  unixSeconds,
  woocommerceHeaders,
  woocommercePing,
} from '../helpers/webhook-signing.ts';

const SECRET = 'current-secret-0123456789';
const OLD_SECRET = 'previous-secret-9876543210';
const TOLERANCE = 300;
const DAY_MS = 24 * 60 * 60 * 1000;

const noCertificates: CertificateSource = { publicKeyFor: () => Promise.reject(new Error('no certificates in this test')) };

function context(overrides: Partial<VerifyContext> = {}): VerifyContext {
  return { secrets: [SECRET], settings: {}, now: new Date(), stripeToleranceSeconds: TOLERANCE, certificates: noCertificates, ...overrides };
}

function delivery(body: Buffer | string, headers: Record<string, string>): Delivery {
  return { rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body), headers };
}

function accepted(result: Verification): VerifiedEvent {
  assert.ok(result.ok, `expected acceptance, got ${result.ok ? '' : `${result.reason}: ${result.detail}`}`);
  assert.equal(result.kind, 'event');
  return result;
}

function refused(result: Verification, reason: RefusalReason): void {
  assert.equal(result.ok, false, 'expected a refusal');
  if (!result.ok) assert.equal(result.reason, reason, result.detail);
}

// One byte of the body changed (a letter inside a JSON string, so the body stays valid JSON).
function tamperBody(body: string): Buffer {
  const bytes = Buffer.from(body);
  const at = body.indexOf('@') + 1;
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return bytes;
}

// One character of a header value changed, staying within the base64 and hex alphabets.
function tamperChar(value: string, at: number): string {
  const i = at < 0 ? value.length + at : at;
  return value.slice(0, i) + (value[i] === 'a' ? 'b' : 'a') + value.slice(i + 1);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface SharedSecretProvider {
  adapter: ProviderAdapter;
  body: string;
  sign(body: string | Buffer, secret: string): Record<string, string>;
  signatureHeader: string;
  /** Where in the signature header one character is changed. */
  tamperAt: number;
}

// The cases every shared-secret provider must pass.
function sharedSecretCases(p: SharedSecretProvider): void {
  it('refuses the body with one byte changed', async () => {
    const headers = p.sign(p.body, SECRET);
    refused(await p.adapter.verify(delivery(tamperBody(p.body), headers), context()), 'bad-signature');
  });

  it('refuses a signature with one character changed', async () => {
    const headers = p.sign(p.body, SECRET);
    const signature = headers[p.signatureHeader] ?? '';
    const tampered = { ...headers, [p.signatureHeader]: tamperChar(signature, p.tamperAt) };
    assert.notEqual(tampered[p.signatureHeader], signature);
    refused(await p.adapter.verify(delivery(p.body, tampered), context()), 'bad-signature');
  });

  it('refuses a delivery without a signature', async () => {
    const headers = p.sign(p.body, SECRET);
    delete headers[p.signatureHeader];
    refused(await p.adapter.verify(delivery(p.body, headers), context()), 'missing-signature');
  });

  it('refuses a signature made with another secret, and any signature when no secret is configured', async () => {
    refused(await p.adapter.verify(delivery(p.body, p.sign(p.body, 'some-other-secret')), context()), 'bad-signature');
    refused(await p.adapter.verify(delivery(p.body, p.sign(p.body, SECRET)), context({ secrets: [] })), 'bad-signature');
  });

  it('accepts the previous secret during rotation', async () => {
    const headers = p.sign(p.body, OLD_SECRET);
    accepted(await p.adapter.verify(delivery(p.body, headers), context({ secrets: [SECRET, OLD_SECRET] })));
    refused(await p.adapter.verify(delivery(p.body, headers), context()), 'bad-signature');
  });

  it('refuses a signed body that is not a JSON object', async () => {
    for (const body of ['not json at all', '[1,2]']) {
      refused(await p.adapter.verify(delivery(body, p.sign(body, SECRET)), context()), 'malformed');
    }
  });
}

describe('ingestion: adapterFor', () => {
  it('has an adapter for every provider', () => {
    for (const provider of PROVIDERS) assert.equal(adapterFor(provider).provider, provider);
  });
});

describe('ingestion: shopify signatures', () => {
  const adapter = adapterFor('shopify');
  // An id beyond 2^53 must survive exactly.
  const body = '{"id":820982911946154508,"email":"jon@example.com","total_price":"10.00"}';

  it('accepts a signed delivery with the classic x-shopify-* headers', async () => {
    const headers = shopifyHeaders(body, SECRET, { eventId: 'evt-1', topic: 'orders/create', shopDomain: 'a.myshopify.com' });
    const result = accepted(await adapter.verify(delivery(body, headers), context()));
    assert.equal(result.topic, 'orders/create');
    assert.equal(result.eventKey, 'evt-1');
    assert.equal(result.providerEventId, 'evt-1');
    assert.equal(result.resourceId, '820982911946154508');
    assert.equal(result.headers['shopify-shop-domain'], 'a.myshopify.com');
    assert.equal(result.headers['shopify-topic'], 'orders/create');
    assert.deepEqual(Object.keys(result.headers).sort(), [
      'shopify-api-version',
      'shopify-event-id',
      'shopify-shop-domain',
      'shopify-topic',
      'shopify-triggered-at',
      'shopify-webhook-id',
    ]);
  });

  it('accepts the newer shopify-* header family under the same kept names', async () => {
    const headers = shopifyHeaders(body, SECRET, { eventId: 'evt-2', topic: 'products/update', family: 'event' });
    const result = accepted(await adapter.verify(delivery(body, headers), context()));
    assert.equal(result.topic, 'products/update');
    assert.equal(result.eventKey, 'evt-2');
    assert.equal(result.headers['shopify-event-id'], 'evt-2');
    assert.ok(!('shopify-hmac-sha256' in result.headers));
  });

  it('falls back to the webhook id when there is no event id', async () => {
    const headers = shopifyHeaders(body, SECRET);
    delete headers['x-shopify-event-id'];
    const result = accepted(await adapter.verify(delivery(body, headers), context()));
    assert.equal(result.eventKey, headers['x-shopify-webhook-id']);
  });

  it('has no resource id when the body has none', async () => {
    const noId = '{"shop":"a"}';
    assert.equal(accepted(await adapter.verify(delivery(noId, shopifyHeaders(noId, SECRET)), context())).resourceId, null);
  });

  it('refuses a signed delivery without a topic', async () => {
    const headers = shopifyHeaders(body, SECRET);
    delete headers['x-shopify-topic'];
    refused(await adapter.verify(delivery(body, headers), context()), 'malformed');
  });

  sharedSecretCases({ adapter, body, sign: (b, s) => shopifyHeaders(b, s), signatureHeader: 'x-shopify-hmac-sha256', tamperAt: 10 });
});

describe('ingestion: woocommerce signatures', () => {
  const adapter = adapterFor('woocommerce');
  const body = '{"id":123,"status":"processing","billing":{"email":"jon@example.com"}}';

  it('accepts a signed delivery; the key is topic, resource id and body hash', async () => {
    const headers = woocommerceHeaders(body, SECRET, { topic: 'order.created' });
    const result = accepted(await adapter.verify(delivery(body, headers), context()));
    assert.equal(result.topic, 'order.created');
    assert.equal(result.resourceId, '123');
    assert.equal(result.providerEventId, null);
    assert.equal(result.eventKey, `order.created:123:${sha256(body)}`);
    assert.equal(result.headers['x-wc-webhook-topic'], 'order.created');
    assert.ok(!('x-wc-webhook-signature' in result.headers));
  });

  it('gives a retry the same key and a changed resource a new one', async () => {
    const changed = body.replace('processing', 'completed');
    const first = accepted(await adapter.verify(delivery(body, woocommerceHeaders(body, SECRET)), context()));
    const retry = accepted(await adapter.verify(delivery(body, woocommerceHeaders(body, SECRET)), context()));
    const update = accepted(await adapter.verify(delivery(changed, woocommerceHeaders(changed, SECRET)), context()));
    assert.equal(retry.eventKey, first.eventKey);
    assert.notEqual(update.eventKey, first.eventKey);
  });

  it('acknowledges the unsigned creation ping as a ping', async () => {
    const ping = woocommercePing('42');
    const result = await adapter.verify(delivery(ping.body, ping.headers), context());
    assert.ok(result.ok);
    assert.equal(result.kind, 'ping');
    assert.equal(result.eventKey, 'ping:42');
    assert.equal(result.headers['x-wc-webhook-id'], '42');
  });

  it('refuses anything else that is unsigned', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    refused(await adapter.verify(delivery(body, { 'content-type': 'application/json' }), context()), 'missing-signature');
    refused(await adapter.verify(delivery('webhook_id=42', { 'content-type': 'application/json' }), context()), 'missing-signature');
    refused(await adapter.verify(delivery('webhook_id=42&x=1', form), context()), 'missing-signature');
    refused(await adapter.verify(delivery('webhook_id=abc', form), context()), 'missing-signature');
    refused(await adapter.verify(delivery('{"webhook_id":42}', form), context()), 'missing-signature');
  });

  sharedSecretCases({ adapter, body, sign: (b, s) => woocommerceHeaders(b, s), signatureHeader: 'x-wc-webhook-signature', tamperAt: 10 });
});

describe('ingestion: stripe signatures', () => {
  const adapter = adapterFor('stripe');
  const secret = 'whsec_test_0123456789abcdef';
  const body = '{"id":"evt_1NqXyZ","type":"charge.succeeded","data":{"object":{"id":"ch_3Nq","receipt_email":"jon@example.com"}}}';
  const stripeContext = (overrides: Partial<VerifyContext> = {}): VerifyContext => context({ secrets: [secret], ...overrides });

  it('accepts a signed delivery with its type and ids', async () => {
    const result = accepted(await adapter.verify(delivery(body, stripeHeaders(body, secret)), stripeContext()));
    assert.equal(result.topic, 'charge.succeeded');
    assert.equal(result.eventKey, 'evt_1NqXyZ');
    assert.equal(result.providerEventId, 'evt_1NqXyZ');
    assert.equal(result.resourceId, 'ch_3Nq');
  });

  it('accepts when any of several v1 values matches, and ignores v0', async () => {
    const t = unixSeconds();
    const several = `t=${t},v1=${timestampedHmac(body, 'wrong', t)},v0=deadbeef,v1=${timestampedHmac(body, secret, t)}`;
    accepted(await adapter.verify(delivery(body, { 'stripe-signature': several }), stripeContext()));
    const onlyV0 = `t=${t},v1=${timestampedHmac(body, 'wrong', t)},v0=${timestampedHmac(body, secret, t)}`;
    refused(await adapter.verify(delivery(body, { 'stripe-signature': onlyV0 }), stripeContext()), 'bad-signature');
  });

  it('refuses timestamps outside the tolerance, in either direction', async () => {
    const now = new Date();
    for (const offset of [-(TOLERANCE + 1), TOLERANCE + 1, -86_400]) {
      const headers = stripeHeaders(body, secret, { timestamp: unixSeconds(now) + offset });
      refused(await adapter.verify(delivery(body, headers), stripeContext({ now })), 'stale-timestamp');
    }
    for (const offset of [-(TOLERANCE - 1), TOLERANCE - 1]) {
      const headers = stripeHeaders(body, secret, { timestamp: unixSeconds(now) + offset });
      accepted(await adapter.verify(delivery(body, headers), stripeContext({ now })));
    }
  });

  it('keys the HMAC with the whole whsec_ string', async () => {
    const stripped = stripeHeaders(body, secret.slice('whsec_'.length));
    refused(await adapter.verify(delivery(body, stripped), stripeContext()), 'bad-signature');
  });

  it('refuses a header without a timestamp or without v1', async () => {
    const t = unixSeconds();
    const noT = { 'stripe-signature': `v1=${timestampedHmac(body, secret, t)}` };
    refused(await adapter.verify(delivery(body, noT), stripeContext()), 'malformed');
    refused(await adapter.verify(delivery(body, { 'stripe-signature': `t=${t}` }), stripeContext()), 'missing-signature');
  });

  it('refuses a signed body without an id or type', async () => {
    const noType = '{"id":"evt_1"}';
    refused(await adapter.verify(delivery(noType, stripeHeaders(noType, secret)), stripeContext()), 'malformed');
  });

  sharedSecretCases({ adapter, body, sign: (b, s) => stripeHeaders(b, s), signatureHeader: 'stripe-signature', tamperAt: -1 });
});

describe('ingestion: custom (Tideline) signatures', () => {
  const adapter = adapterFor('custom');
  const body = '{"id":"ev-77","type":"invoice.paid","email":"jon@example.com"}';

  it('takes event id and topic from headers first', async () => {
    const headers = customHeaders(body, SECRET, { eventId: 'hdr-1', topic: 'order.placed' });
    const result = accepted(await adapter.verify(delivery(body, headers), context()));
    assert.equal(result.eventKey, 'hdr-1');
    assert.equal(result.providerEventId, 'hdr-1');
    assert.equal(result.topic, 'order.placed');
    assert.deepEqual(result.headers, { 'tideline-event-id': 'hdr-1', 'tideline-topic': 'order.placed' });
  });

  it('falls back to the body id and type', async () => {
    const result = accepted(await adapter.verify(delivery(body, customHeaders(body, SECRET)), context()));
    assert.equal(result.eventKey, 'ev-77');
    assert.equal(result.topic, 'invoice.paid');
  });

  it('refuses when the event id or the topic is nowhere', async () => {
    const bare = '{"email":"jon@example.com"}';
    refused(await adapter.verify(delivery(bare, customHeaders(bare, SECRET, { topic: 't' })), context()), 'malformed');
    refused(await adapter.verify(delivery(bare, customHeaders(bare, SECRET, { eventId: 'e' })), context()), 'malformed');
  });

  it('refuses a timestamp outside the tolerance', async () => {
    for (const offset of [-(TOLERANCE + 5), TOLERANCE + 5]) {
      const headers = customHeaders(body, SECRET, { timestamp: unixSeconds() + offset });
      refused(await adapter.verify(delivery(body, headers), context()), 'stale-timestamp');
    }
  });

  sharedSecretCases({ adapter, body, sign: (b, s) => customHeaders(b, s), signatureHeader: 'tideline-signature', tamperAt: -1 });
});

describe('ingestion: paypal signatures', () => {
  const adapter = adapterFor('paypal');
  const webhookId = '1JE4291016473214C';
  const body =
    '{"id":"WH-2WR32451HC0233532-67976317FL4543714","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"42311647XV020574X","payer":"jon@example.com"}}';
  let pki: PaypalTestPki;
  let server: CertServer;
  const servers: CertServer[] = [];

  async function track(started: Promise<CertServer>): Promise<CertServer> {
    const s = await started;
    servers.push(s);
    return s;
  }

  before(async () => {
    pki = await createPaypalTestPki();
    server = await track(pki.serve());
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  function certificatesFor(origin: string, caPem: string, ttlMs?: number): CertificateSource {
    return createPaypalCertificateSource({ allowedOrigins: [origin], trustedCaPems: [caPem], subjectPattern: /paypal/i, ttlMs });
  }

  // PayPal has no shared secret: the context carries none.
  function paypalContext(certificates: CertificateSource, overrides: Partial<VerifyContext> = {}): VerifyContext {
    return context({ secrets: [], settings: { webhookId }, certificates, ...overrides });
  }

  function signed(certUrl: string, privateKey = pki.leafPrivateKey): Delivery {
    return delivery(body, signPaypalDelivery({ body, privateKey, certUrl, webhookId }));
  }

  it('accepts a delivery signed with the leaf key, with its ids', async () => {
    const result = accepted(await adapter.verify(signed(server.url), paypalContext(certificatesFor(server.origin, pki.caPem))));
    assert.equal(result.topic, 'PAYMENT.CAPTURE.COMPLETED');
    assert.equal(result.eventKey, 'WH-2WR32451HC0233532-67976317FL4543714');
    assert.equal(result.providerEventId, result.eventKey);
    assert.equal(result.resourceId, '42311647XV020574X');
    assert.equal(result.headers['paypal-cert-url'], server.url);
    assert.ok(!('paypal-transmission-sig' in result.headers));
  });

  it('refuses a changed body, a changed signature, another webhook id and another key', async () => {
    const certificates = certificatesFor(server.origin, pki.caPem);
    const good = signed(server.url);
    refused(await adapter.verify({ ...good, rawBody: tamperBody(body) }, paypalContext(certificates)), 'bad-signature');
    const sig = String(good.headers['paypal-transmission-sig']);
    const badSig = { ...good, headers: { ...good.headers, 'paypal-transmission-sig': tamperChar(sig, 20) } };
    refused(await adapter.verify(badSig, paypalContext(certificates)), 'bad-signature');
    refused(await adapter.verify(good, paypalContext(certificates, { settings: { webhookId: 'OTHER' } })), 'bad-signature');
    const other = await createPaypalTestPki();
    refused(await adapter.verify(signed(server.url, other.leafPrivateKey), paypalContext(certificates)), 'bad-signature');
  });

  it('refuses a missing signature, a missing webhookId setting and another algorithm', async () => {
    const certificates = certificatesFor(server.origin, pki.caPem);
    const good = signed(server.url);
    const unsigned = { ...good, headers: { ...good.headers, 'paypal-transmission-sig': undefined } };
    refused(await adapter.verify(unsigned, paypalContext(certificates)), 'missing-signature');
    refused(await adapter.verify(good, paypalContext(certificates, { settings: {} })), 'malformed');
    const sha1 = { ...good, headers: { ...good.headers, 'paypal-auth-algo': 'SHA1withRSA' } };
    refused(await adapter.verify(sha1, paypalContext(certificates)), 'malformed');
  });

  it('refuses cert URLs off the allowed origin without fetching them', async () => {
    const elsewhere = await track(pki.serve());
    const certificates = certificatesFor(server.origin, pki.caPem);
    const before = server.requests();
    const { port, pathname } = new URL(server.url);
    for (const certUrl of [
      elsewhere.url,
      `http://localhost:${port}${pathname}`,
      `https://127.0.0.1:${port}${pathname}`,
      `http://user:pw@127.0.0.1:${port}${pathname}`,
      'not a url',
    ]) {
      refused(await adapter.verify(signed(certUrl), paypalContext(certificates)), 'certificate');
    }
    assert.equal(elsewhere.requests(), 0);
    assert.equal(server.requests(), before);
  });

  it('refuses an expired leaf, a leaf from an untrusted CA and a leaf with the wrong subject', async () => {
    const expired = await createPaypalTestPki({ leafNotBefore: new Date(Date.now() - 10 * DAY_MS), leafNotAfter: new Date(Date.now() - DAY_MS) });
    const wrongSubject = await createPaypalTestPki({ leafCommonName: 'webhooks.example.com' });
    const untrusted = await createPaypalTestPki();
    for (const [signer, trustedCa] of [
      [expired, expired.caPem],
      [wrongSubject, wrongSubject.caPem],
      [untrusted, pki.caPem],
    ] as const) {
      const s = await track(signer.serve());
      refused(await adapter.verify(signed(s.url, signer.leafPrivateKey), paypalContext(certificatesFor(s.origin, trustedCa))), 'certificate');
      assert.equal(s.requests(), 1);
    }
  });

  it('refuses a bundle that is not certificates, a bundle without its intermediate, and a leaf not yet valid', async () => {
    const garbage = await track(serveCertificates('not a certificate'));
    refused(await adapter.verify(signed(garbage.url), paypalContext(certificatesFor(garbage.origin, pki.caPem))), 'certificate');
    const leafOnly = await track(pki.serve(pki.bundlePem.slice(0, pki.bundlePem.indexOf('-----END CERTIFICATE-----') + 25)));
    refused(await adapter.verify(signed(leafOnly.url), paypalContext(certificatesFor(leafOnly.origin, pki.caPem))), 'certificate');
    const early = paypalContext(certificatesFor(server.origin, pki.caPem), { now: new Date(Date.now() - 3 * DAY_MS) });
    refused(await adapter.verify(signed(server.url), early), 'certificate');
  });

  it('refuses a bundle over the size cap', async () => {
    const certificates = createPaypalCertificateSource({
      allowedOrigins: [server.origin],
      trustedCaPems: [pki.caPem],
      subjectPattern: /paypal/i,
      maxBytes: 512,
    });
    refused(await adapter.verify(signed(server.url), paypalContext(certificates)), 'certificate');
  });

  it('fetches the certificate once for several deliveries, concurrent or not, until the ttl runs out', async () => {
    const s = await track(pki.serve());
    const certificates = certificatesFor(s.origin, pki.caPem, 60_000);
    const now = new Date();
    const at = (ms: number): VerifyContext => paypalContext(certificates, { now: new Date(now.getTime() + ms) });
    const both = await Promise.all([adapter.verify(signed(s.url), at(0)), adapter.verify(signed(s.url), at(0))]);
    both.forEach((result) => accepted(result));
    accepted(await adapter.verify(signed(s.url), at(30_000)));
    assert.equal(s.requests(), 1);
    accepted(await adapter.verify(signed(s.url), at(61_000)));
    assert.equal(s.requests(), 2);
  });
});
