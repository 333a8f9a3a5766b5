import { Counter, Registry } from 'prom-client';

/** The process's Prometheus registry and the counters domains increment. */
export interface Metrics {
  registry: Registry;
  webhookDeliveries: Counter<'provider' | 'outcome'>;
  webhookRefusals: Counter<'provider' | 'reason'>;
}

/** A registry of its own per platform, so two servers in one process (tests) never share counts. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  return {
    registry,
    webhookDeliveries: new Counter({
      name: 'tideline_webhook_deliveries_total',
      help: 'Webhook deliveries by provider and outcome (accepted, duplicate, ping, refused, rate_limited).',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    }),
    webhookRefusals: new Counter({
      name: 'tideline_webhook_refusals_total',
      help: 'Webhook deliveries refused, by provider and reason.',
      labelNames: ['provider', 'reason'],
      registers: [registry],
    }),
  };
}
