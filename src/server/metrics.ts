import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The daemon's Prometheus metrics; each pipeline event updates them in one place (stream-events.ts). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'invoice_lake_' });
  return {
    registry,
    rowsCommitted: new Counter({ name: 'invoice_lake_rows_committed_total', help: 'Rows committed to lake tables', labelNames: ['table'], registers: [registry] }),
    commits: new Counter({ name: 'invoice_lake_commits_total', help: 'Lake commits (one per batch, all tables)', registers: [registry] }),
    commitSeconds: new Histogram({
      name: 'invoice_lake_commit_duration_seconds',
      help: 'Time to write and commit one batch',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    quarantined: new Counter({ name: 'invoice_lake_rows_quarantined_total', help: 'Source rows stored in the quarantine table', registers: [registry] }),
    acknowledgedLsn: new Gauge({ name: 'invoice_lake_acknowledged_lsn', help: 'Slot position confirmed to PostgreSQL (as a number)', registers: [registry] }),
    lastCommitTimestamp: new Gauge({ name: 'invoice_lake_last_commit_timestamp_seconds', help: 'Unix time of the last lake commit', registers: [registry] }),
    freshnessSeconds: new Gauge({ name: 'invoice_lake_freshness_seconds', help: 'Source commit time to lake commit of the newest batch', registers: [registry] }),
    scored: new Counter({ name: 'invoice_lake_invoices_scored_total', help: 'Invoices scored by the active model', registers: [registry] }),
    scoreLatencySeconds: new Histogram({
      name: 'invoice_lake_score_latency_seconds',
      help: 'Source commit time to scored (and alert emitted)',
      buckets: [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    alerts: new Counter({ name: 'invoice_lake_risk_alerts_total', help: 'Alerts raised', registers: [registry] }),
    alertsDropped: new Counter({ name: 'invoice_lake_risk_alerts_dropped_total', help: 'Webhook alerts dropped because the queue was full', registers: [registry] }),
    inferenceFailures: new Counter({ name: 'invoice_lake_inference_failures_total', help: 'Batches a model failed to score', labelNames: ['model'], registers: [registry] }),
    modelsRejected: new Counter({ name: 'invoice_lake_models_rejected_total', help: 'Model files rejected by validation', labelNames: ['file'], registers: [registry] }),
    activeModel: new Gauge({ name: 'invoice_lake_active_model_since_seconds', help: 'When the labelled model became active', labelNames: ['model'], registers: [registry] }),
    reconnects: new Counter({ name: 'invoice_lake_source_reconnects_total', help: 'Replication reconnects after a failure', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
