/**
 * The demo stores: a dozen shops across five time zones and four currencies, with the Rossmann
 * attributes (store type, assortment, competition, promo2) the analytics read.
 */
import type { Currency } from './catalogue.ts';

/** Store type a–d; each has its own weekly rhythm (see `WEEKDAY_FACTORS`). */
export type StoreType = 'a' | 'b' | 'c' | 'd';

/** One demo store as written to `stores`, plus its base demand. */
export interface DemoStore {
  /** 1-based position; external id `demo-001` onwards. */
  number: number;
  externalId: string;
  name: string;
  storeType: StoreType;
  assortment: 'a' | 'b' | 'c';
  timezone: string;
  currency: Currency['code'];
  /** Mean orders on an ordinary weekday before seasonality, promotions and shifts. */
  baseOrders: number;
  competitionDistance: number;
  competitionOpenSince: string | null;
  promo2: boolean;
  promo2Since: string | null;
  promoInterval: string | null;
}

type Template = Omit<DemoStore, 'number' | 'externalId'>;

// Store 2 is the first yen store and store 1 a weekend-busy, store 2 a weekday-busy one, so the
// smallest runs (the tests use two stores) already cover JPY and both weekly rhythms.
const TEMPLATES: readonly Template[] = [
  { name: 'Berlin Mitte', storeType: 'a', assortment: 'c', timezone: 'Europe/Berlin', currency: 'EUR', baseOrders: 70, competitionDistance: 520, competitionOpenSince: '2019-04-01', promo2: true, promo2Since: '2023-03-27', promoInterval: 'Jan,Apr,Jul,Oct' },
  { name: 'Tokyo Shinjuku Station', storeType: 'c', assortment: 'b', timezone: 'Asia/Tokyo', currency: 'JPY', baseOrders: 80, competitionDistance: 180, competitionOpenSince: '2016-09-01', promo2: false, promo2Since: null, promoInterval: null },
  { name: 'London Soho', storeType: 'a', assortment: 'b', timezone: 'Europe/London', currency: 'GBP', baseOrders: 55, competitionDistance: 1270, competitionOpenSince: null, promo2: true, promo2Since: '2024-02-05', promoInterval: 'Feb,May,Aug,Nov' },
  { name: 'New York Midtown', storeType: 'd', assortment: 'c', timezone: 'America/New_York', currency: 'USD', baseOrders: 75, competitionDistance: 90, competitionOpenSince: '2021-06-01', promo2: false, promo2Since: null, promoInterval: null },
  { name: 'Munich Riem Arcaden', storeType: 'b', assortment: 'a', timezone: 'Europe/Berlin', currency: 'EUR', baseOrders: 45, competitionDistance: 2400, competitionOpenSince: null, promo2: true, promo2Since: '2022-10-03', promoInterval: 'Mar,Jun,Sept,Dec' },
  { name: 'Los Angeles Silver Lake', storeType: 'a', assortment: 'b', timezone: 'America/Los_Angeles', currency: 'USD', baseOrders: 50, competitionDistance: 3300, competitionOpenSince: null, promo2: false, promo2Since: null, promoInterval: null },
  // The competitor DEMO_SHIFTS names: it opens 350 m away on the day the store loses 30%.
  { name: 'Hamburg Altona', storeType: 'a', assortment: 'a', timezone: 'Europe/Berlin', currency: 'EUR', baseOrders: 60, competitionDistance: 350, competitionOpenSince: '2025-09-15', promo2: false, promo2Since: null, promoInterval: null },
  { name: 'Osaka Umeda', storeType: 'b', assortment: 'c', timezone: 'Asia/Tokyo', currency: 'JPY', baseOrders: 65, competitionDistance: 640, competitionOpenSince: '2018-01-01', promo2: true, promo2Since: '2024-07-01', promoInterval: 'Jan,Apr,Jul,Oct' },
  { name: 'Manchester Piccadilly', storeType: 'c', assortment: 'a', timezone: 'Europe/London', currency: 'GBP', baseOrders: 50, competitionDistance: 260, competitionOpenSince: '2020-11-01', promo2: false, promo2Since: null, promoInterval: null },
  { name: 'Boston Back Bay', storeType: 'd', assortment: 'b', timezone: 'America/New_York', currency: 'USD', baseOrders: 40, competitionDistance: 1500, competitionOpenSince: null, promo2: true, promo2Since: '2023-09-04', promoInterval: 'Mar,Jun,Sept,Dec' },
  { name: 'Cologne Ehrenfeld', storeType: 'd', assortment: 'b', timezone: 'Europe/Berlin', currency: 'EUR', baseOrders: 45, competitionDistance: 880, competitionOpenSince: '2017-05-01', promo2: false, promo2Since: null, promoInterval: null },
  { name: 'San Francisco Mission', storeType: 'b', assortment: 'c', timezone: 'America/Los_Angeles', currency: 'USD', baseOrders: 55, competitionDistance: 410, competitionOpenSince: '2022-03-01', promo2: true, promo2Since: '2024-01-01', promoInterval: 'Feb,May,Aug,Nov' },
];

/** The first `count` demo stores (templates repeat past twelve, with a "#2" name). */
export function demoStores(count: number): DemoStore[] {
  return Array.from({ length: count }, (_, i) => {
    const t = TEMPLATES[i % TEMPLATES.length] as Template;
    const round = Math.floor(i / TEMPLATES.length);
    return { ...t, number: i + 1, externalId: `demo-${String(i + 1).padStart(3, '0')}`, name: round === 0 ? t.name : `${t.name} #${round + 1}` };
  });
}

/** A store external id the demo owns: what `--replace` clears. */
export const DEMO_STORE_ID = /^demo-\d{3}$/;
