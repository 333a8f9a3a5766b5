import type { Selectable } from 'kysely';
import type { components } from '../../generated/api.ts';
import type { FieldCipher } from '../platform/crypto/index.ts';
import { customerCtx } from './context.ts';
import { money } from './money.ts';
import type { CustomersTable, OrdersTable, ProductsTable, StoresTable } from './tables.ts';

type Schemas = components['schemas'];

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** A store row as the API shows it. */
export function toStore(r: Selectable<StoresTable>): Schemas['Store'] {
  return {
    id: r.id,
    external_id: r.external_id,
    name: r.name,
    store_type: r.store_type,
    assortment: r.assortment,
    timezone: r.timezone,
    currency: r.currency,
    competition_distance: r.competition_distance === null ? null : Number(r.competition_distance),
    competition_open_since: r.competition_open_since,
    promo2: r.promo2,
    promo2_since: r.promo2_since,
    promo_interval: r.promo_interval,
    status: r.status,
    created_via: r.created_via,
    archived_at: iso(r.archived_at),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

/** An order without its lines; money cut to the currency's digits. */
export function toOrder(r: Selectable<OrdersTable>): Schemas['OrderSummary'] {
  const c = r.currency;
  return {
    id: r.id,
    external_id: r.external_id,
    order_number: r.order_number,
    source_id: r.source_id,
    store_id: r.store_id,
    customer_id: r.customer_id,
    channel: r.channel,
    currency: c,
    status: r.status,
    subtotal: money(r.subtotal, c),
    discount_total: money(r.discount_total, c),
    tax_total: money(r.tax_total, c),
    shipping_total: money(r.shipping_total, c),
    total: money(r.total, c),
    refunded_total: money(r.refunded_total, c),
    units: r.units,
    placed_at: r.placed_at.toISOString(),
    cancelled_at: iso(r.cancelled_at),
    updated_at: r.updated_at.toISOString(),
  };
}

/** `jon@example.com` as `j***@example.com`: enough to recognise, not to contact. */
function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email.slice(0, 1)}***${email.slice(at)}`;
}

function maskName(name: string): string {
  return name
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => `${[...w][0] ?? ''}***`)
    .join(' ');
}

/** A customer, decrypted; masked unless the caller may see personal data. */
export function toCustomer(cipher: FieldCipher, tenantId: string, r: Selectable<CustomersTable>, pii: boolean): Schemas['Customer'] {
  const email = r.email_ciphertext === null ? null : cipher.decrypt(r.email_ciphertext, customerCtx(tenantId, 'email'));
  const name = r.name_ciphertext === null ? null : cipher.decrypt(r.name_ciphertext, customerCtx(tenantId, 'name'));
  return {
    id: r.id,
    external_id: r.external_id,
    source_id: r.source_id,
    email: email === null ? null : pii ? email : maskEmail(email),
    name: name === null ? null : pii ? name : maskName(name),
    masked: !pii,
    first_order_at: iso(r.first_order_at),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

/** A product. */
export function toProduct(r: Selectable<ProductsTable>): Schemas['Product'] {
  return {
    id: r.id,
    external_id: r.external_id,
    source_id: r.source_id,
    title: r.title,
    sku: r.sku,
    price: r.price === null ? null : r.currency ? money(r.price, r.currency) : r.price,
    currency: r.currency,
    status: r.status,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}
