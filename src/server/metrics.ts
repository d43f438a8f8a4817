import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundedCounter, CurrentValueGauge, capped, shortened } from './bounded-label.ts';
import { valueRejectionClass } from '../source/value-rejection-class.ts';

/**
 * The daemon's Prometheus metrics; each pipeline event updates them in one place (stream-events.ts).
 * Every label whose values come from outside (file names, model metadata, table names,
 * quarantine reasons) goes through a bound, so no input can grow the series without limit:
 * names are capped at 50 distinct values (the rest count as `other`), reasons map to fixed classes.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'invoice_lake_' });
  return {
    registry,
    rowsCommitted: new BoundedCounter({ name: 'invoice_lake_rows_committed_total', help: 'Rows committed to lake tables', registry }, { table: capped() }),
    commits: new Counter({ name: 'invoice_lake_commits_total', help: 'Lake commits (one per batch, all tables)', registers: [registry] }),
    commitSeconds: new Histogram({
      name: 'invoice_lake_commit_duration_seconds',
      help: 'Time to write and commit one batch',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    quarantined: new BoundedCounter(
      { name: 'invoice_lake_rows_quarantined_total', help: 'Source rows stored in the quarantine table, by class of reason (the reason itself is in the table)', registry },
      { reason: (reason) => (reason ? valueRejectionClass(reason) : 'unknown') },
    ),
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
    inferenceFailures: new BoundedCounter({ name: 'invoice_lake_inference_failures_total', help: 'Batches a model failed to score', registry }, { model: capped() }),
    modelsRejected: new BoundedCounter({ name: 'invoice_lake_models_rejected_total', help: 'Model files rejected by validation (or by size)', registry }, { file: capped() }),
    activeModel: new CurrentValueGauge({ name: 'invoice_lake_active_model_since_seconds', help: 'When the labelled model became active (one series: the active model)', registry }, { model: shortened }),
    modelFilesMissing: new Gauge({
      name: 'invoice_lake_model_files_missing',
      help: '1 while the models directory holds no valid active model and the last loaded model keeps scoring from memory',
      registers: [registry],
    }),
    reconnects: new Counter({ name: 'invoice_lake_source_reconnects_total', help: 'Replication reconnects after a failure', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
