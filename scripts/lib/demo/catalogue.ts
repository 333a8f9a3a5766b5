/**
 * The demo's money and product catalogue. Amounts are integers of the currency's minor unit
 * (cents, pence, whole yen) until formatted, so no float ever rounds a total.
 */

/** A store currency: its minor-unit digits, price conversion from the EUR list, and tax rule. */
export interface Currency {
  code: 'EUR' | 'GBP' | 'USD' | 'JPY';
  /** Digits after the point: 2, or 0 for JPY (amounts are whole yen). */
  decimals: number;
  /** Multiplier from the EUR list price (in cents) to this currency's minor units. */
  rate: number;
  /** Minor units a price is rounded to (10 yen), or 10 with a .x9 ending for the others. */
  charmEnding: boolean;
  /** VAT or sales tax rate. */
  taxRate: number;
  /** Prices include the tax (EU, UK, Japan) or it is added at checkout (US sales tax). */
  taxIncluded: boolean;
  /** Delivery fee of web and mobile orders under the free-shipping threshold, in minor units. */
  shipping: number;
  freeShippingFrom: number;
}

/** The four demo currencies. */
export const CURRENCIES: Record<Currency['code'], Currency> = {
  EUR: { code: 'EUR', decimals: 2, rate: 1, charmEnding: true, taxRate: 0.19, taxIncluded: true, shipping: 495, freeShippingFrom: 3900 },
  GBP: { code: 'GBP', decimals: 2, rate: 0.86, charmEnding: true, taxRate: 0.2, taxIncluded: true, shipping: 399, freeShippingFrom: 3500 },
  USD: { code: 'USD', decimals: 2, rate: 1.08, charmEnding: true, taxRate: 0.08, taxIncluded: false, shipping: 599, freeShippingFrom: 4500 },
  JPY: { code: 'JPY', decimals: 0, rate: 1.6, charmEnding: false, taxRate: 0.1, taxIncluded: true, shipping: 600, freeShippingFrom: 5000 },
};

/** Minor units as the canonical decimal string ("12.30", or "1980" for yen). */
export function formatMoney(minor: number, c: Currency): string {
  if (c.decimals === 0) return String(minor);
  const scale = 10 ** c.decimals;
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / scale)}.${String(abs % scale).padStart(c.decimals, '0')}`;
}

/** A catalogue entry: which assortments carry it, its EUR list price in cents, and how often it sells. */
export interface Product {
  sku: string;
  title: string;
  /** 'a' basic (every store), 'b' extra (assortments b and c), 'c' extended (assortment c only). */
  tier: 'a' | 'b' | 'c';
  eurCents: number;
  popularity: number;
}

// A drugstore-and-home catalogue, in the spirit of the Rossmann stores the layout comes from.
const ITEMS: readonly [string, Product['tier'], number, number][] = [
  ['Toothpaste Mint 75 ml', 'a', 189, 10], ['Toothbrush Medium', 'a', 249, 7], ['Shampoo Repair 300 ml', 'a', 399, 9],
  ['Conditioner Repair 250 ml', 'a', 429, 5], ['Shower Gel Citrus 250 ml', 'a', 199, 9], ['Hand Soap Refill 500 ml', 'a', 279, 6],
  ['Deodorant Roll-on', 'a', 229, 8], ['Cotton Pads 120 pcs', 'a', 149, 6], ['Tissues 10-pack', 'a', 199, 8],
  ['Toilet Paper 8 rolls', 'a', 449, 9], ['Dish Soap 750 ml', 'a', 169, 7], ['Laundry Detergent 20 loads', 'a', 799, 6],
  ['Sun Cream SPF 30 200 ml', 'b', 899, 4], ['Face Cream Hydra 50 ml', 'b', 1299, 4], ['Lip Balm', 'a', 179, 7],
  ['Baby Wipes 64 pcs', 'a', 219, 6], ['Diapers Size 4, 42 pcs', 'b', 1199, 4], ['Vitamin C 60 tablets', 'b', 599, 4],
  ['Magnesium 100 tablets', 'b', 749, 3], ['Green Tea 20 bags', 'a', 249, 5], ['Espresso Beans 500 g', 'b', 899, 5],
  ['Oat Drink 1 l', 'a', 229, 6], ['Dark Chocolate 100 g', 'a', 199, 7], ['Protein Bar', 'b', 249, 5],
  ['Nail Polish Ruby', 'b', 399, 3], ['Mascara Volume', 'b', 799, 3], ['Perfume Eau Fraîche 50 ml', 'c', 3499, 1],
  ['Electric Toothbrush', 'c', 4999, 1], ['Hair Dryer Compact', 'c', 2999, 1], ['Razor Blades 4 pcs', 'b', 1099, 3],
  ['Scented Candle Cedar', 'c', 1499, 2], ['Reusable Bottle 750 ml', 'c', 1799, 2], ['Bath Towel Cotton', 'c', 1999, 1],
  ['Cat Food 12 pouches', 'b', 649, 3], ['Dog Treats 200 g', 'b', 349, 3], ['Gift Card Wrap', 'a', 99, 2],
  ['Plasters 20 pcs', 'a', 249, 4], ['Hand Cream 75 ml', 'a', 299, 5], ['Organic Muesli 750 g', 'b', 449, 4],
  ['Yoga Mat', 'c', 2499, 1],
];

/** The ~40 products, SKU DM-001 onwards. */
export const CATALOGUE: readonly Product[] = ITEMS.map(([title, tier, eurCents, popularity], i) => ({
  sku: `DM-${String(i + 1).padStart(3, '0')}`,
  title,
  tier,
  eurCents,
  popularity,
}));

/** The products an assortment carries. */
export function assortmentProducts(assortment: 'a' | 'b' | 'c'): Product[] {
  const tiers = assortment === 'a' ? ['a'] : assortment === 'b' ? ['a', 'b'] : ['a', 'b', 'c'];
  return CATALOGUE.filter((p) => tiers.includes(p.tier));
}

/** A product's shelf price in a currency, in minor units: converted, then rounded to a shop-like price. */
export function priceIn(p: Product, c: Currency): number {
  const raw = p.eurCents * c.rate;
  // Yen prices end in 0 (¥1,980); the others end in 9 (£4.49, $2.69), as shelf prices do.
  return c.charmEnding ? Math.max(9, Math.round(raw / 10) * 10 - 1) : Math.max(10, Math.round(raw / 10) * 10);
}

/** The product row's external id for a currency: one product row per SKU and currency, as multi-market shops keep them. */
export const productExternalId = (sku: string, currency: string): string => `demo-${sku}-${currency}`;
