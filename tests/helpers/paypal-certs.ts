/**
 * A throwaway PKI for PayPal webhook tests: a root CA, an intermediate and a PayPal-like leaf, a local server
 * that hands out the PEM bundle (counting requests), and a signer that produces PayPal's transmission headers.
 */
import { createPrivateKey, randomUUID, sign, webcrypto, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

// @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
x509.cryptoProvider.set(webcrypto);

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

/** How the leaf differs from a valid PayPal-like one. */
export interface PaypalPkiOptions {
  /** The leaf's subject CN; default a PayPal-like host name. */
  leafCommonName?: string;
  leafNotBefore?: Date;
  leafNotAfter?: Date;
}

/** A local server handing out a PEM bundle. */
export interface CertServer {
  /** `http://127.0.0.1:<port>`, to put in `allowedOrigins`. */
  origin: string;
  /** Where the bundle is served. */
  url: string;
  /** How many requests (for any path) reached this server. */
  requests(): number;
  close(): Promise<void>;
}

/** A generated CA, the leaf-first bundle, the leaf key, and a way to serve the bundle. */
export interface PaypalTestPki {
  caPem: string;
  /** Leaf first, then the intermediate (the root is not included, as with PayPal). */
  bundlePem: string;
  leafPrivateKey: KeyObject;
  /** Serves this bundle (or another PEM text) from a fresh local server. */
  serve(pem?: string): Promise<CertServer>;
}

/** Generates an RSA key pair through webcrypto, which @peculiar/x509 signs with. */
function rsaKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

/** Creates root CA, intermediate and leaf; the CA certificates are valid from yesterday for ten years. */
export async function createPaypalTestPki(options: PaypalPkiOptions = {}): Promise<PaypalTestPki> {
  const now = Date.now();
  const notBefore = new Date(now - DAY_MS);
  const notAfter = new Date(now + 3650 * DAY_MS);
  const [caKeys, interKeys, leafKeys] = await Promise.all([rsaKeys(), rsaKeys(), rsaKeys()]);

  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=Tideline Test Root ${randomUUID()}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(CA_USAGE, true)],
  });
  const intermediate = await x509.X509CertificateGenerator.create({
    subject: `CN=Tideline Test Intermediate ${randomUUID()}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: interKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(CA_USAGE, true)],
  });
  const commonName = options.leafCommonName ?? 'messageverificationcerts.paypal.com';
  const leaf = await x509.X509CertificateGenerator.create({
    subject: `CN=${commonName}, O=PayPal Test`,
    issuer: intermediate.subject,
    notBefore: options.leafNotBefore ?? notBefore,
    notAfter: options.leafNotAfter ?? new Date(now + 365 * DAY_MS),
    publicKey: leafKeys.publicKey,
    signingKey: interKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: commonName }]),
    ],
  });

  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  const bundlePem = `${leaf.toString('pem')}\n${intermediate.toString('pem')}\n`;
  return {
    caPem: ca.toString('pem'),
    bundlePem,
    leafPrivateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    serve: (pem = bundlePem) => serveCertificates(pem),
  };
}

/** Serves `pem` at a PayPal-like path on 127.0.0.1 (any port), counting every request that arrives. */
export async function serveCertificates(pem: string): Promise<CertServer> {
  let count = 0;
  const path = '/v1/notifications/certs/CERT-360caa42-fca2a594-test';
  const server = createServer((req, res) => {
    count++;
    if (req.url !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pem);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: origin + path,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // fetch keeps connections alive; drop them so close() does not wait for their idle timeout.
        server.closeAllConnections();
      }),
  };
}

/** What a PayPal delivery is signed with. */
export interface PaypalSigning {
  body: Buffer | string;
  privateKey: KeyObject;
  certUrl: string;
  webhookId: string;
  transmissionId?: string;
  transmissionTime?: string;
}

/** PayPal's transmission headers: RSA-SHA256 over `id|time|webhookId|crc32(body)`, base64. */
export function signPaypalDelivery(signing: PaypalSigning): Record<string, string> {
  const transmissionId = signing.transmissionId ?? randomUUID();
  const transmissionTime = signing.transmissionTime ?? new Date().toISOString();
  const body = typeof signing.body === 'string' ? Buffer.from(signing.body) : signing.body;
  const message = `${transmissionId}|${transmissionTime}|${signing.webhookId}|${crc32(body)}`;
  return {
    'content-type': 'application/json',
    'paypal-transmission-id': transmissionId,
    'paypal-transmission-time': transmissionTime,
    'paypal-transmission-sig': sign('sha256', Buffer.from(message), signing.privateKey).toString('base64'),
    'paypal-cert-url': signing.certUrl,
    'paypal-auth-algo': 'SHA256withRSA',
  };
}
