import { resolve } from 'node:path';
import type { Settings } from '../config/settings.ts';
import { requireSetting } from '../config/load-config.ts';
import { ModelRegistry, type ModelHealth } from '../scoring/model/model-registry.ts';
import { NotifySink } from '../scoring/alerts/notify-sink.ts';
import { WebhookSink } from '../scoring/alerts/webhook-sink.ts';
import type { AlertSink } from '../scoring/alerts/risk-alert.ts';
import type { ScoringDeps } from '../pipeline/stream-supervisor.ts';
import type { ScoringEvents } from '../pipeline/scoring-stage.ts';
import type { Metrics } from '../server/metrics.ts';
import type { Logger } from '../log/logger.ts';
import { LakeError } from '../errors/lake-error.ts';

export interface RiskScoring {
  scoring: ScoringDeps | undefined;
  /** For /healthz: the active model and whether its files went missing (scoring goes on from memory). */
  health(): { scoring: ModelHealth | 'unscored' };
  close(): Promise<void>;
}

/**
 * Opens the model registry and the alert sinks for `run`. With no valid
 * model the daemon refuses to start (exit 2) unless told to run unscored.
 * Once running, a models directory left without a valid model keeps the
 * last model scoring (see ModelRegistry) and says so: a warning, the
 * `invoice_lake_model_files_missing` gauge and `health()`.
 */
export async function openRiskScoring(
  deps: { logger: Logger; metrics: Metrics },
  settings: Settings,
  options: { watch: boolean; events?: ScoringEvents },
): Promise<RiskScoring> {
  if (settings.unscored) {
    deps.logger.warn('running unscored: invoices are stored without risk scores');
    return { scoring: undefined, health: () => ({ scoring: 'unscored' }), close: async () => undefined };
  }
  const directory = resolve(requireSetting(settings, 'modelsDir'));
  const registry = new ModelRegistry(
    {
      logger: deps.logger,
      events: {
        onRejected: (file) => deps.metrics.modelsRejected.inc({ file }),
        onActivated: (model) => deps.metrics.activeModel.set({ model: model.label }, Date.now() / 1000),
        onFilesMissingChanged: (missing) => deps.metrics.modelFilesMissing.set(missing ? 1 : 0),
      },
    },
    { directory, maxBytes: requireSetting(settings, 'modelMaxBytes') },
  );
  const models = await registry.open({ watch: options.watch });
  if (!models.active) {
    await registry.close();
    throw new LakeError('config', `no valid risk model in ${directory}`, {
      hint: 'put a model there (`invoice-lake train` writes one), or pass --unscored (RISK_UNSCORED=true) to stream without scores',
    });
  }
  const sinks: AlertSink[] = [];
  const databaseUrl = requireSetting(settings, 'databaseUrl');
  if (settings.alertChannel) sinks.push(new NotifySink({ logger: deps.logger }, { connectionString: databaseUrl, channel: settings.alertChannel }));
  if (settings.alertWebhookUrl) {
    sinks.push(
      new WebhookSink(
        { logger: deps.logger, onDropped: () => deps.metrics.alertsDropped.inc() },
        { url: settings.alertWebhookUrl, authorization: settings.alertWebhookAuthorization, maxAttempts: 6, initialBackoffMs: 200, maxQueued: 10_000, timeoutMs: 5_000 },
      ),
    );
  }
  return {
    scoring: { registry, sinks, events: options.events },
    health: () => ({ scoring: registry.health() }),
    async close() {
      await Promise.all(sinks.map((sink) => sink.close()));
      await registry.close();
    },
  };
}
