/** Picks the normalizer for a source's provider; the one import the ingestion pipeline needs. */
import type { Provider } from '../providers/types.ts';
import { normalizeCustom } from './custom.ts';
import { normalizePayPal } from './paypal.ts';
import { normalizeShopify } from './shopify.ts';
import { normalizeStripe } from './stripe.ts';
import type { Normalizer } from './types.ts';
import { normalizeWooCommerce } from './woocommerce.ts';

export { NormalizeError, type Normalized, type Normalizer } from './types.ts';
export { parsePayload } from './read.ts';

const NORMALIZERS: Readonly<Record<Provider, Normalizer>> = {
  shopify: normalizeShopify,
  woocommerce: normalizeWooCommerce,
  stripe: normalizeStripe,
  paypal: normalizePayPal,
  custom: normalizeCustom,
};

/** The normalizer for a provider; every one ignores topics it does not map. */
export const normalizerFor = (provider: Provider): Normalizer => NORMALIZERS[provider];
