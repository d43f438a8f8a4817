import type { Server } from 'node:http';
import type { Settings } from '../config/settings.ts';
import { requireSetting } from '../config/load-config.ts';
import { openLake } from '../lake/open-lake.ts';
import { ONCE_RETRY_BUDGET_MS, superviseStream, type StreamHooks, type StreamState } from '../pipeline/stream-supervisor.ts';
import { retryTransient } from '../pipeline/retry-transient.ts';
import { formatLsn } from '../source/lsn.ts';
import { createMetrics } from '../server/metrics.ts';
import { startHttpServer } from '../server/http-server.ts';
import type { Logger } from '../log/logger.ts';
import { lakeSettings } from './lake-settings.ts';
import { openRiskScoring } from './risk-scoring.ts';
import type { ScoringEvents } from '../pipeline/scoring-stage.ts';
import { openJobs, startScheduler } from '../jobs/job-runtime.ts';
import { jobLimits } from '../jobs/job-limits.ts';
import type { JobScheduler, SchedulerEvents } from '../jobs/job-scheduler.ts';
import { resolve } from 'node:path';
import { loadSources } from '../query/sources/source-config.ts';

export interface RunOptions {
  once: boolean;
  /** Wait while another process holds the slot (no jobs meanwhile), then take over. */
  standby?: boolean;
  /** Extra observers (the demo's live line). */
  hooks?: StreamHooks;
  scoringHooks?: ScoringEvents;
  /** Where SIGINT/SIGTERM are handled; the demo installs its own and resolves `stop`. */
  handleSignals?: boolean;
  /** Resolving it stops the stream gracefully. */
  stop?: Promise<void>;
  jobEvents?: SchedulerEvents;
}

export interface RunTotals {
  rows: Record<string, number>;
  commits: number;
  elapsedMs: number;
}

/**
 * `invoice-lake run [--once]`: the daemon. SIGTERM/SIGINT finish the open
 * transaction, commit, acknowledge and exit 0.
 */
export async function runCommand(deps: { logger: Logger }, settings: Settings, options: RunOptions): Promise<RunTotals> {
  const lake = await openLake(lakeSettings(settings));
  const metrics = createMetrics();
  const totals: RunTotals = { rows: {}, commits: 0, elapsedMs: 0 };
  const started = Date.now();
  let state: 'starting' | StreamState = 'starting';
  let lastCommitAt: string | null = null;
  let server: Server | undefined;
  const httpPort = settings.httpPort ?? 0;
  // Set once scoring is open; a request that arrives earlier sees no scoring detail.
  let scoringHealth: () => Record<string, unknown> = () => ({});
  if (!options.once && httpPort > 0) {
    server = await startHttpServer(httpPort, metrics, { state: () => ({ status: state, detail: { lastCommitAt, totals: totals.rows, ...scoringHealth() } }) });
    deps.logger.info({ port: httpPort }, 'health and metrics on /healthz and /metrics');
  }
  const risk = await openRiskScoring({ logger: deps.logger, metrics }, settings, {
    watch: !options.once,
    events: {
      onScored(rows, commitTimeMicros, latest) {
        metrics.scored.inc(rows);
        metrics.scoreLatencySeconds.observe(Math.max(0, Date.now() / 1000 - Number(commitTimeMicros) / 1e6));
        options.scoringHooks?.onScored?.(rows, commitTimeMicros, latest);
      },
      onAlert(alert) {
        metrics.alerts.inc();
        deps.logger.info({ invoice: alert.invoiceId, score: alert.score, model: alert.model }, 'risk alert');
        options.scoringHooks?.onAlert?.(alert);
      },
      onInferenceFailure(model, error) {
        metrics.inferenceFailures.inc({ model });
        deps.logger.error({ model, error }, 'inference failed; rows stored with a null score');
        options.scoringHooks?.onInferenceFailure?.(model, error);
      },
    },
  }).catch(async (error: unknown) => {
    server?.close();
    await lake.close();
    throw error;
  });
  scoringHealth = risk.health;
  // Jobs read the catalog: a daemon started while PostgreSQL restarts waits for it instead of exiting.
  const jobs = await retryTransient(
    () => loadSources(settings).then((sources) => openJobs({ lake, logger: deps.logger }, { directory: resolve(settings.jobsDir ?? './jobs'), sources, limits: jobLimits(settings) })),
    { logger: deps.logger, what: 'loading the jobs', budgetMs: options.once ? ONCE_RETRY_BUDGET_MS : undefined },
  ).catch(async (error: unknown) => {
    server?.close();
    await risk.close();
    await lake.close();
    throw error;
  });
  const schedulerOptions = { concurrency: settings.jobsConcurrency ?? 1, minIntervalMs: settings.jobsMinIntervalMs ?? 5000 };
  // In batch mode the on-commit jobs run once after the drain instead. The daemon starts them
  // once it streams: a process that finds the slot busy, or waits on standby, runs no job.
  let scheduler: JobScheduler | undefined;
  const startJobs = () => {
    if (scheduler || options.once || jobs.set.jobs.length === 0) return;
    scheduler = startScheduler(jobs, deps.logger, schedulerOptions, options.jobEvents);
  };
  const handle = superviseStream(
    { lake, logger: deps.logger, scoring: risk.scoring },
    {
      databaseUrl: requireSetting(settings, 'databaseUrl'),
      slotName: requireSetting(settings, 'slotName'),
      publicationName: requireSetting(settings, 'publicationName'),
      sourceTable: requireSetting(settings, 'sourceTable'),
      maxRows: requireSetting(settings, 'batchMaxRows'),
      maxBytes: requireSetting(settings, 'batchMaxBytes'),
      maxDelayMs: requireSetting(settings, 'batchMaxDelayMs'),
      once: options.once,
      standby: options.standby ?? false,
      alertThreshold: requireSetting(settings, 'alertThreshold'),
    },
    {
      onCommit(report) {
        totals.commits++;
        lastCommitAt = new Date().toISOString();
        metrics.commits.inc();
        metrics.commitSeconds.observe(report.durationMs / 1000);
        metrics.lastCommitTimestamp.set(Date.now() / 1000);
        for (const [table, rows] of Object.entries(report.rows)) {
          totals.rows[table] = (totals.rows[table] ?? 0) + rows;
          metrics.rowsCommitted.inc({ table }, rows);
        }
        deps.logger.info({ lsn: formatLsn(report.lsn), rows: report.rows, commitMs: report.durationMs }, 'lake commit');
        options.hooks?.onCommit?.(report);
        scheduler?.notifyCommit(Object.keys(report.rows));
      },
      onQuarantine(reason) {
        metrics.quarantined.inc({ reason });
        deps.logger.warn({ reason }, 'row quarantined');
        options.hooks?.onQuarantine?.(reason);
      },
      onAcknowledge(lsn) {
        metrics.acknowledgedLsn.set(Number(lsn));
        options.hooks?.onAcknowledge?.(lsn);
      },
      onState(next) {
        state = next;
        if (next === 'streaming') startJobs();
        options.hooks?.onState?.(next);
      },
      onReconnect() {
        metrics.reconnects.inc();
      },
    },
  );
  const onSignal = (signal: NodeJS.Signals) => {
    deps.logger.info({ signal }, 'stopping: finishing the open transaction, committing and acknowledging');
    handle.stop();
  };
  void options.stop?.then(() => handle.stop());
  if (options.handleSignals !== false) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    await handle.done;
    if (options.once && jobs.set.jobs.some((job) => job.schedule.kind === 'on-commit')) {
      const catchUp = startScheduler({ ...jobs, set: { ...jobs.set, jobs: jobs.set.jobs.filter((job) => job.schedule.kind === 'on-commit') } }, deps.logger, { ...schedulerOptions, minIntervalMs: 0 }, options.jobEvents);
      await catchUp.idle();
      await catchUp.stop();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await scheduler?.stop();
    server?.close();
    await risk.close();
    await lake.close();
  }
  totals.elapsedMs = Date.now() - started;
  return totals;
}
