/**
 * The canonical commerce model: what every provider's payload becomes. Ingestion's normalizers
 * produce these shapes; commerce writes them (upserts keyed by source and external id) and reads them.
 * Money is a decimal string in major units ("12.30"), never a float; currencies are ISO 4217 codes.
 */

export type OrderStatus = 'pending' | 'paid' | 'fulfilled' | 'cancelled' | 'refunded' | 'partially_refunded' | 'deleted';

export interface CanonicalCustomer {
  externalId: string;
  email: string | null;
  name: string | null;
  createdAt: string | null;
  /** The provider's last-modified time: an older update never overwrites a newer one. */
  updatedAt: string;
}

export interface CanonicalProduct {
  externalId: string;
  title: string;
  sku: string | null;
  price: string | null;
  currency: string | null;
  status: string | null;
  updatedAt: string;
}

export interface CanonicalOrderLine {
  externalId: string | null;
  productExternalId: string | null;
  sku: string | null;
  title: string | null;
  quantity: number;
  unitPrice: string;
  total: string;
}

export interface CanonicalOrder {
  externalId: string;
  orderNumber: string | null;
  /** A payment reference (Stripe charge, PayPal capture) that later refunds may name instead of the order. */
  paymentRef: string | null;
  /** The store this order belongs to, by its external id (a shop domain, a Rossmann store number). */
  storeExternalId: string | null;
  /** Sales channel, as the provider names it (web, pos, checkout, ...). */
  channel: string | null;
  customer: CanonicalCustomer | null;
  currency: string;
  status: OrderStatus;
  subtotal: string;
  discountTotal: string;
  taxTotal: string;
  shippingTotal: string;
  total: string;
  lines: CanonicalOrderLine[];
  placedAt: string;
  cancelledAt: string | null;
  updatedAt: string;
  /**
   * Known only from a payment (a Stripe payment intent or charge, a PayPal capture): the money and
   * status, not the items or breakdown. It never overwrites a full order's details, only its status
   * when newer; a full order arriving later fills in the details whatever its time.
   */
  paymentOnly?: boolean;
}

export interface CanonicalRefund {
  externalId: string;
  /** The order's external id, or null when only the payment reference is known. */
  orderExternalId: string | null;
  paymentRef: string | null;
  amount: string;
  currency: string;
  reason: string | null;
  refundedAt: string;
}

/**
 * One change to the canonical model. A normalizer returns a list of these; applying them is
 * idempotent (the same change twice is one change) and order-insensitive (an older `updatedAt`
 * loses to a newer one).
 */
export type CommerceChange =
  | { kind: 'order'; order: CanonicalOrder }
  /** A status change known only by reference (PayPal capture completed, Stripe charge succeeded without a full order). */
  | { kind: 'order-status'; orderExternalId: string; paymentRef: string | null; status: OrderStatus; amount: string | null; currency: string | null; updatedAt: string }
  | { kind: 'order-deleted'; orderExternalId: string; updatedAt: string }
  | { kind: 'refund'; refund: CanonicalRefund }
  | { kind: 'customer'; customer: CanonicalCustomer }
  | { kind: 'product'; product: CanonicalProduct };
