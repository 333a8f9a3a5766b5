import type { ColumnType, Generated } from 'kysely';
import type { OrderStatus } from './model.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** numeric columns: read as strings (exact), written as decimal strings. */
type Numeric = ColumnType<string, string | number, string | number>;
type NullableNumeric = ColumnType<string | null, string | number | null | undefined, string | number | null>;

export interface StoresTable {
  id: Generated<string>;
  tenant_id: string;
  external_id: string;
  name: string;
  store_type: string | null;
  assortment: string | null;
  timezone: Generated<string>;
  currency: string | null;
  competition_distance: NullableNumeric;
  competition_open_since: ColumnType<string | null, string | null | undefined, string | null>;
  promo2: Generated<boolean>;
  promo2_since: ColumnType<string | null, string | null | undefined, string | null>;
  promo_interval: string | null;
  status: Generated<'open' | 'closed'>;
  created_via: 'api' | 'import' | 'ingestion';
  archived_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CustomersTable {
  id: Generated<string>;
  tenant_id: string;
  source_id: string | null;
  external_id: string;
  email_ciphertext: string | null;
  email_index: string | null;
  name_ciphertext: string | null;
  provider_created_at: NullableTimestamp;
  provider_updated_at: Timestamp;
  first_order_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProductsTable {
  id: Generated<string>;
  tenant_id: string;
  source_id: string | null;
  external_id: string;
  title: string;
  sku: string | null;
  price: NullableNumeric;
  currency: string | null;
  status: string | null;
  provider_updated_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrdersTable {
  id: Generated<string>;
  tenant_id: string;
  source_id: string | null;
  external_id: string;
  order_number: string | null;
  payment_ref: string | null;
  store_id: string | null;
  customer_id: string | null;
  channel: string | null;
  currency: string;
  status: OrderStatus;
  subtotal: Numeric;
  discount_total: Numeric;
  tax_total: Numeric;
  shipping_total: Numeric;
  total: Numeric;
  refunded_total: ColumnType<string, string | number | undefined, string | number>;
  units: ColumnType<number, number | undefined, number>;
  placed_at: Timestamp;
  cancelled_at: NullableTimestamp;
  provider_updated_at: Timestamp;
  payment_only: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrderLinesTable {
  id: Generated<string>;
  tenant_id: string;
  order_id: string;
  position: number;
  external_id: string | null;
  product_id: string | null;
  sku: string | null;
  title: string | null;
  quantity: number;
  unit_price: Numeric;
  total: Numeric;
}

export interface RefundsTable {
  id: Generated<string>;
  tenant_id: string;
  source_id: string | null;
  external_id: string;
  order_id: string | null;
  order_external_id: string | null;
  payment_ref: string | null;
  amount: Numeric;
  currency: string;
  reason: string | null;
  refunded_at: Timestamp;
  created_at: Timestamp;
}

export interface StoreDailySalesTable {
  tenant_id: string;
  store_id: string;
  day: ColumnType<string, string, string>;
  day_of_week: number;
  sales: Numeric;
  customers: number;
  open: boolean;
  promo: boolean;
  state_holiday: string;
  school_holiday: boolean;
}

/** One rollup row: a store's (or the tenant's) sales in one bucket, currency and channel. */
export interface RollupColumns {
  tenant_id: string;
  store_id: string;
  currency: string;
  channel: string;
  orders: number;
  gross: string;
  units: number;
  refunds: string;
  refund_count: number;
}

declare module '../platform/db.ts' {
  interface Database {
    sales_hourly: RollupColumns & { hour: Date };
    sales_daily: RollupColumns & { day: string };
    stores: StoresTable;
    customers: CustomersTable;
    products: ProductsTable;
    orders: OrdersTable;
    order_lines: OrderLinesTable;
    refunds: RefundsTable;
    store_daily_sales: StoreDailySalesTable;
  }
}
