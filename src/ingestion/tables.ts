import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { Provider } from './providers/types.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Count = ColumnType<number, number | undefined, number>;

export type RawEventStatus = 'pending' | 'processed' | 'ignored' | 'failed' | 'discarded';
export type DeadLetterStatus = 'open' | 'replayed' | 'discarded';
export type ImportKind = 'sales' | 'stores' | 'orders';
export type ImportStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** Provider extras kept with a source (snake_case, as the API shows them). */
export interface SourceSettings {
  webhook_id?: string;
}

export interface SourcesTable {
  id: Generated<string>;
  tenant_id: string;
  provider: Provider;
  name: string;
  status: ColumnType<'active' | 'disabled', 'active' | 'disabled' | undefined, 'active' | 'disabled'>;
  secret_ciphertext: string | null;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: NullableTimestamp;
  settings: JSONColumnType<SourceSettings>;
  store_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RawEventsTable {
  id: Generated<string>;
  tenant_id: string;
  source_id: string;
  provider: Provider;
  topic: string;
  event_key: string;
  provider_event_id: string | null;
  resource_id: string | null;
  headers: JSONColumnType<Record<string, string>>;
  content_type: string | null;
  body_ciphertext: string;
  body_encoding: ColumnType<'utf8' | 'base64', 'utf8' | 'base64' | undefined, 'utf8' | 'base64'>;
  body_bytes: number;
  status: ColumnType<RawEventStatus, RawEventStatus | undefined, RawEventStatus>;
  status_reason: string | null;
  attempts: Count;
  received_at: Timestamp;
  processed_at: NullableTimestamp;
}

export interface DeadLettersTable {
  id: Generated<string>;
  tenant_id: string;
  raw_event_id: string;
  queue: string;
  error: string;
  attempts: number;
  status: ColumnType<DeadLetterStatus, DeadLetterStatus | undefined, DeadLetterStatus>;
  replay_count: Count;
  discard_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  replayed_at: NullableTimestamp;
  discarded_at: NullableTimestamp;
}

export interface TouchpointsTable {
  tenant_id: string;
  event_id: string;
  channel: string;
  campaign: string | null;
  anonymous_id: string | null;
  customer_ref: string | null;
  occurred_at: Timestamp;
  received_at: Timestamp;
}

export interface ConversionsTable {
  tenant_id: string;
  event_id: string;
  order_ref: string | null;
  value: ColumnType<string | null, string | null | undefined, string | null>;
  currency: string | null;
  anonymous_id: string | null;
  customer_ref: string | null;
  occurred_at: Timestamp;
  received_at: Timestamp;
}

export interface MetricPointsTable {
  tenant_id: string;
  event_id: string;
  series_key: string;
  occurred_at: Timestamp;
  value: number;
  received_at: Timestamp;
}

export interface ImportsTable {
  id: Generated<string>;
  tenant_id: string;
  kind: ImportKind;
  format: 'csv' | 'ndjson';
  status: ColumnType<ImportStatus, ImportStatus | undefined, ImportStatus>;
  bytes: Count;
  rows_read: Count;
  rows_written: Count;
  rows_rejected: Count;
  rejections: JSONColumnType<{ row: number; reason: string }[]>;
  error: string | null;
  file_name: string | null;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

export interface ImportChunksTable {
  tenant_id: string;
  import_id: string;
  seq: number;
  data: Buffer;
}

declare module '../platform/db.ts' {
  interface Database {
    sources: SourcesTable;
    raw_events: RawEventsTable;
    dead_letters: DeadLettersTable;
    touchpoints: TouchpointsTable;
    conversions: ConversionsTable;
    metric_points: MetricPointsTable;
    imports: ImportsTable;
    import_chunks: ImportChunksTable;
  }
}
