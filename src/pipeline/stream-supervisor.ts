import { connectPostgres } from '../source/source-connection.ts';
import { currentWalLsn, readSlot } from '../source/slot-admin.ts';
import { ReplicationSource } from '../source/replication-source.ts';
import { formatLsn, type Lsn } from '../source/lsn.ts';
import type { Lake } from '../lake/open-lake.ts';
import { LakeWriter, type BatchLimits, type CommitReport } from './lake-writer.ts';
import { WorkerEncoder } from '../lake/batch/parquet-encoder.ts';
import { StreamRunner } from './stream-runner.ts';
import { LakeError, isLakeError, messageOf } from '../errors/lake-error.ts';
import type { Logger } from '../log/logger.ts';
import { ScoringStage, type ScoringEvents } from './scoring-stage.ts';
import { FeatureCheckpoints } from './feature-checkpoints.ts';
import type { ModelRegistry } from '../scoring/model/model-registry.ts';
import type { AlertSink } from '../scoring/alerts/risk-alert.ts';

export interface StreamSettings extends BatchLimits {
  databaseUrl: string;
  slotName: string;
  publicationName: string;
  sourceTable: string;
  maxDelayMs: number;
  once: boolean;
  /** Active-model score at or above which an alert is raised. */
  alertThreshold: number;
}

/** Risk scoring; absent = unscored mode (invoices stored with null scores). */
export interface ScoringDeps {
  registry: ModelRegistry;
  sinks: AlertSink[];
  events?: ScoringEvents;
}

export interface StreamHooks {
  onCommit?(report: CommitReport): void;
  onQuarantine?(reason: string): void;
  onAcknowledge?(lsn: Lsn): void;
  onState?(state: 'streaming' | 'reconnecting' | 'stopping'): void;
  onReconnect?(): void;
}

export interface StreamHandle {
  /** Resolves when the stream ended cleanly (stop requested, or batch mode drained). */
  done: Promise<void>;
  /** Finish the open transaction, commit, acknowledge, stop. */
  stop(): void;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Runs the stream and keeps it running: after a lost connection or a
 * retryable lake failure, uncommitted work is dropped and the stream resumes
 * from the acknowledged position with exponential backoff. Errors that
 * retrying cannot fix end the stream.
 */
export function superviseStream(deps: { lake: Lake; logger: Logger; scoring?: ScoringDeps }, settings: StreamSettings, hooks: StreamHooks = {}): StreamHandle {
  let stopping = false;
  let runner: StreamRunner | undefined;
  // One encoder thread for the stream's life, across reconnects.
  const encoder = new WorkerEncoder();
  const done = (async () => {
    await encoder.warmUp();
    const stopAtLsn = settings.once ? await walPositionNow(settings.databaseUrl) : undefined;
    if (stopAtLsn !== undefined) deps.logger.info({ stopAt: formatLsn(stopAtLsn) }, 'draining the slot up to the current WAL position');
    let failures = 0;
    while (true) {
      try {
        const confirmedLsn = await slotPosition(settings);
        const writer = await LakeWriter.open(deps.lake.streamTables, settings, encoder);
        const source = new ReplicationSource({
          connectionString: settings.databaseUrl,
          slotName: settings.slotName,
          publicationName: settings.publicationName,
          startLsn: confirmedLsn,
          statusIntervalMs: 10_000,
          maxQueuedMessages: 20_000,
        });
        // Rebuilt on every (re)start from the committed lake state, so nothing
        // observed but not committed before a failure leaks into the features.
        const extractor = deps.scoring ? await FeatureCheckpoints.restore(deps.lake.storage, writer) : undefined;
        const scoring = new ScoringStage(
          {
            writer,
            scoring: deps.scoring && extractor ? { extractor, registry: deps.scoring.registry } : undefined,
            sinks: deps.scoring?.sinks,
            events: deps.scoring?.events,
          },
          { threshold: settings.alertThreshold },
        );
        const features = extractor
          ? new FeatureCheckpoints({ storage: deps.lake.storage, extractor, encode: (image) => encoder.encodeFeatureState(image) })
          : undefined;
        const registry = deps.scoring?.registry;
        runner = new StreamRunner(
          {
            source,
            writer,
            scoring,
            checkpoint: {
              beforeCommit: (lakeWriter) => features?.beforeCommit(lakeWriter) ?? { summary: {} },
              afterCommit: async () => {
                await features?.afterCommit();
              },
              changePending: async () => (await registry?.hasChanges()) ?? false,
              // The lake holds exactly what was processed: the only moment a new model may take over.
              idle: async () => {
                await registry?.refresh();
              },
            },
          },
          { sourceTable: settings.sourceTable, maxDelayMs: settings.maxDelayMs, stopAtLsn, confirmedLsn },
          {
            onCommit: (report) => {
              failures = 0;
              hooks.onCommit?.(report);
            },
            onQuarantine: hooks.onQuarantine,
            onAcknowledge: hooks.onAcknowledge,
          },
        );
        if (stopping) runner.requestStop();
        hooks.onState?.('streaming');
        deps.logger.info({ slot: settings.slotName, from: formatLsn(confirmedLsn) }, 'streaming');
        await runner.run();
        return;
      } catch (error) {
        runner?.discardUncommitted();
        if (!isLakeError(error) || !error.retryable || (stopping && error.kind !== 'source-connection')) throw error;
        if (stopping) return;
        failures++;
        const backoffMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 10));
        hooks.onState?.('reconnecting');
        hooks.onReconnect?.();
        deps.logger.warn({ err: messageOf(error), retryInMs: backoffMs, kind: error.kind }, 'stream interrupted; resuming from the acknowledged position');
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        if (stopping) return;
      }
    }
  })().finally(() => encoder.close());
  return {
    done,
    stop() {
      stopping = true;
      hooks.onState?.('stopping');
      runner?.requestStop();
    },
  };
}

async function slotPosition(settings: StreamSettings): Promise<Lsn> {
  const client = await connectPostgres(settings.databaseUrl, 'source');
  try {
    const slot = await readSlot(client, settings.slotName);
    if (!slot) {
      throw new LakeError('source-setup', `replication slot ${settings.slotName} does not exist`, { hint: 'run `invoice-lake setup` first' });
    }
    if (slot.active) {
      throw new LakeError('source-connection', `replication slot ${settings.slotName} is in use by another process`, {
        hint: 'only one invoice-lake can stream a slot; stop the other one or use another SLOT_NAME',
      });
    }
    return slot.confirmedFlushLsn;
  } finally {
    await client.end();
  }
}

async function walPositionNow(databaseUrl: string): Promise<Lsn> {
  const client = await connectPostgres(databaseUrl, 'source');
  try {
    return await currentWalLsn(client);
  } finally {
    await client.end();
  }
}
