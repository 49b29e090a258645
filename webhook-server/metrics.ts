/**
 * Prometheus metrics of the webhook server, in a registry of its own (served at /metrics).
 * Names are the contract with alert rules and dashboards: keep them stable.
 */
import client from 'prom-client';

/** How a delivery ended. */
export const OUTCOMES = ['started', 'duplicate', 'ignored', 'ping', 'rejected', 'failed', 'processing'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function createWebhookMetrics(gauges: { pendingStarts: () => number; pendingReports: () => number }) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'baton_webhook_' });
  const deliveries = new client.Counter({
    name: 'baton_webhook_deliveries_total',
    help: 'Webhook requests by GitHub event and outcome (rejected = 4xx before routing)',
    labelNames: ['event', 'outcome'],
    registers: [registry],
  });
  const signatureFailures = new client.Counter({
    name: 'baton_webhook_signature_failures_total',
    help: 'Requests refused for their X-Hub-Signature-256 (missing, malformed, mismatch)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const rejected = new client.Counter({ name: 'baton_webhook_http_rejections_total', help: 'Requests answered 4xx, by status code', labelNames: ['code'], registers: [registry] });
  const startLatency = new client.Histogram({
    name: 'baton_webhook_workflow_start_seconds',
    help: 'Time of one workflow start call to Conductor, by workflow and outcome',
    labelNames: ['workflow', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const commitStatuses = new client.Counter({ name: 'baton_webhook_commit_statuses_total', help: 'Commit statuses posted to GitHub, by state and outcome', labelNames: ['state', 'outcome'], registers: [registry] });
  new client.Gauge({
    name: 'baton_webhook_pending_starts', help: 'Workflow starts waiting for a retry', registers: [registry],
    collect() { this.set(gauges.pendingStarts()); },
  });
  new client.Gauge({
    name: 'baton_webhook_pending_status_reports', help: 'Started workflows whose final commit status is not sent yet', registers: [registry],
    collect() { this.set(gauges.pendingReports()); },
  });
  return { registry, deliveries, signatureFailures, rejected, startLatency, commitStatuses };
}

export type WebhookMetrics = ReturnType<typeof createWebhookMetrics>;
