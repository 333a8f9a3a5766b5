import type { Selectable } from 'kysely';
import type { components } from '../../generated/api.ts';
import type { Config } from '../platform/config.ts';
import type { DeadLettersTable, ImportsTable, RawEventsTable, SourcesTable } from './tables.ts';

type Schemas = components['schemas'];

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** The webhook URL to give the provider: absolute when PUBLIC_URL is set. */
export function webhookUrl(config: Config, provider: string, id: string): string {
  return `${config.publicUrl?.replace(/\/$/, '') ?? ''}/api/v1/webhooks/${provider}/${id}`;
}

/** A source row as the API shows it; the secret only when the caller just set or made it. */
export function toSource(config: Config, r: Selectable<SourcesTable>, secret?: string): Schemas['Source'] {
  return {
    id: r.id,
    provider: r.provider,
    name: r.name,
    status: r.status,
    settings: r.settings,
    store_id: r.store_id,
    webhook_url: webhookUrl(config, r.provider, r.id),
    ...(secret !== undefined ? { secret } : {}),
    // An overlap that has ended is not worth showing.
    previous_secret_expires_at: r.previous_secret_expires_at && r.previous_secret_expires_at > new Date() ? r.previous_secret_expires_at.toISOString() : null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

/** A raw event without its body. */
export function toRawEvent(r: Omit<Selectable<RawEventsTable>, 'body_ciphertext' | 'headers' | 'content_type' | 'tenant_id'>): Schemas['RawEvent'] {
  return {
    id: r.id,
    source_id: r.source_id,
    provider: r.provider,
    topic: r.topic,
    event_key: r.event_key,
    provider_event_id: r.provider_event_id,
    resource_id: r.resource_id,
    status: r.status,
    status_reason: r.status_reason,
    attempts: r.attempts,
    body_bytes: r.body_bytes,
    received_at: r.received_at.toISOString(),
    processed_at: iso(r.processed_at),
  };
}

/** A dead letter with what it is about. */
export function toDeadLetter(r: Selectable<DeadLettersTable> & { source_id: string; provider: RawEventsTable['provider']; topic: string }): Schemas['DeadLetter'] {
  return {
    id: r.id,
    raw_event_id: r.raw_event_id,
    source_id: r.source_id,
    provider: r.provider,
    topic: r.topic,
    queue: r.queue,
    error: r.error,
    attempts: r.attempts,
    status: r.status,
    replay_count: r.replay_count,
    discard_reason: r.discard_reason,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    replayed_at: iso(r.replayed_at),
    discarded_at: iso(r.discarded_at),
  };
}

/** An import and its progress. */
export function toImport(r: Selectable<ImportsTable>): Schemas['Import'] {
  return {
    id: r.id,
    kind: r.kind,
    format: r.format,
    status: r.status,
    file_name: r.file_name,
    bytes: Number(r.bytes),
    rows_read: Number(r.rows_read),
    rows_written: Number(r.rows_written),
    rows_rejected: Number(r.rows_rejected),
    rejections: r.rejections,
    error: r.error,
    created_at: r.created_at.toISOString(),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
  };
}
