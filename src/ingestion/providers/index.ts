import { customAdapter } from './custom.ts';
import { paypalAdapter } from './paypal.ts';
import { shopifyAdapter } from './shopify.ts';
import { stripeAdapter } from './stripe.ts';
import type { Provider, ProviderAdapter } from './types.ts';
import { woocommerceAdapter } from './woocommerce.ts';

export * from './types.ts';
export { createPaypalCertificateSource, type PaypalCertificateOptions } from './paypal-certificates.ts';

const ADAPTERS: Readonly<Record<Provider, ProviderAdapter>> = {
  shopify: shopifyAdapter,
  woocommerce: woocommerceAdapter,
  stripe: stripeAdapter,
  paypal: paypalAdapter,
  custom: customAdapter,
};

/** The signature scheme and event identity of one provider. */
export function adapterFor(provider: Provider): ProviderAdapter {
  return ADAPTERS[provider];
}
