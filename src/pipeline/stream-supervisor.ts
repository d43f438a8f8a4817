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
import { classifyPostgresError } from '../postgres/postgres-errors.ts';
import { describeHolder, holderLiveness, isProcessAlive, readSlotHolder, replicationApplicationName, terminateHolder } from '../source/slot-holder.ts';
import { onFirstMessage, TableClaims } from './table-claims.ts';
import { retryTransient } from './retry-transient.ts';
import { writerIdFor } from '../lake/writer-fence.ts';
import { hostname } from 'node:os';

export interface StreamSettings extends BatchLimits {
  databaseUrl: string;
  slotName: string;
  publicationName: string;
  sourceTable: string;
  maxDelayMs: number;
  once: boolean;
  /** Wait while another process holds the slot, and take over when it goes (instead of exit 2). */
  standby?: boolean;
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
  onState?(state: StreamState): void;
  onReconnect?(): void;
}

/** `standby`: waiting for another process to release the slot; nothing runs meanwhile. */
export type StreamState = 'standby' | 'streaming' | 'reconnecting' | 'stopping';

export interface StreamHandle {
  /** Resolves when the stream ended cleanly (stop requested, or batch mode drained). */
  done: Promise<void>;
  /** Finish the open transaction, commit, acknowledge, stop. */
  stop(): void;
}

const MAX_BACKOFF_MS = 30_000;
/** `run --once` gives up after this long without a commit, so batch mode never waits forever. */
export const ONCE_RETRY_BUDGET_MS = 60_000;
/** How often a standby looks at the slot. */
const STANDBY_POLL_MS = 2_000;

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
    const stopAtLsn = settings.once
      ? await retryTransient(() => walPositionNow(settings.databaseUrl), { logger: deps.logger, what: 'reading the WAL position', budgetMs: ONCE_RETRY_BUDGET_MS })
      : undefined;
    if (stopAtLsn !== undefined) deps.logger.info({ stopAt: formatLsn(stopAtLsn) }, 'draining the slot up to the current WAL position');
    let failures = 0;
    let failingSinceMs: number | undefined;
    const claims = new TableClaims(deps.lake.streamTables, writerIdFor(settings.slotName));
    while (true) {
      try {
        const confirmedLsn = await acquireSlot(settings, {
          logger: deps.logger,
          stopping: () => stopping,
          onStandby: () => hooks.onState?.('standby'),
        });
        if (confirmedLsn === undefined) return; // stopped while on standby
        const writer = await LakeWriter.open(deps.lake.streamTables, settings, encoder, claims.claimed ? claims.claims : undefined);
        const replication = new ReplicationSource({
          connectionString: settings.databaseUrl,
          slotName: settings.slotName,
          publicationName: settings.publicationName,
          startLsn: confirmedLsn,
          statusIntervalMs: 10_000,
          maxQueuedMessages: 20_000,
        });
        // The tables are claimed once the slot is ours (its first message), never by a process that only found it busy.
        const source = claims.claimed
          ? replication
          : onFirstMessage(replication, async () => {
              writer.adoptClaims(await claims.claim());
              deps.logger.info({ writer: claims.writerId, epoch: String([...claims.claims.values()][0]?.epoch ?? '') }, 'claimed the lake tables');
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
              failingSinceMs = undefined;
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
      } catch (caught) {
        runner?.discardUncommitted();
        const error = classified(caught);
        if (error.kind === 'slot-in-use' && settings.standby && !stopping) continue; // lost a race for the slot: wait again
        if (!error.retryable || (stopping && error.kind !== 'source-connection')) throw error;
        if (stopping) return;
        failingSinceMs ??= Date.now();
        if (settings.once && Date.now() - failingSinceMs > ONCE_RETRY_BUDGET_MS) {
          throw new LakeError(error.kind, `run --once gave up after ${Math.round(ONCE_RETRY_BUDGET_MS / 1000)} s of failures: ${error.message}`, { cause: error, hint: error.hint, retryable: false });
        }
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

/**
 * Waits until the slot is ours to stream and returns its confirmed position.
 * A live holder makes a plain run stop with exit 2 (naming it) and a standby
 * wait; a stale holder (a killed process whose walsender lingers) is
 * terminated so a restart resumes within seconds. Undefined: stopped while waiting.
 */
async function acquireSlot(
  settings: StreamSettings,
  deps: { logger: Logger; stopping(): boolean; onStandby(): void },
): Promise<Lsn | undefined> {
  let announced = false;
  while (!deps.stopping()) {
    const client = await connectPostgres(settings.databaseUrl, 'source');
    try {
      const slot = await readSlot(client, settings.slotName);
      if (!slot) {
        throw new LakeError('source-setup', `replication slot ${settings.slotName} does not exist`, { hint: 'run `invoice-lake setup` first' });
      }
      if (!slot.active) return slot.confirmedFlushLsn;
      const holder = await readSlotHolder(client, settings.slotName);
      if (holder) {
        const liveness = holderLiveness(holder, { host: hostname(), isAlive: isProcessAlive });
        if (liveness.stale) {
          deps.logger.warn({ slot: settings.slotName, holder: describeHolder(holder), reason: liveness.reason }, 'the slot is held by a process that is gone; ending its connection');
          if (!(await terminateHolder(client, holder).catch(() => false))) {
            throw new LakeError('slot-in-use', `replication slot ${settings.slotName} is held by ${describeHolder(holder)}, which looks gone (${liveness.reason}), and it could not be ended`, {
              hint: `end it as a superuser: SELECT pg_terminate_backend(${holder.pid});`,
            });
          }
        } else if (!settings.standby) {
          throw new LakeError('slot-in-use', `replication slot ${settings.slotName} is in use by ${describeHolder(holder)}`, {
            hint: 'only one invoice-lake streams a slot: stop the other one, run this one with --standby to take over when it stops, or set another SLOT_NAME',
          });
        } else if (!announced) {
          announced = true;
          deps.onStandby();
          deps.logger.info({ slot: settings.slotName, holder: describeHolder(holder) }, 'standby: waiting for the slot holder to go away');
        }
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, announced ? STANDBY_POLL_MS : 500));
  }
  return undefined;
}

/** Errors from libraries (not yet a LakeError) classified like PostgreSQL's: transient ones are retried. */
function classified(error: unknown): LakeError {
  if (isLakeError(error)) return error;
  const failure = classifyPostgresError(error);
  return new LakeError(failure.transient ? 'source-connection' : 'internal', messageOf(error), { cause: error, retryable: failure.transient });
}

async function walPositionNow(databaseUrl: string): Promise<Lsn> {
  const client = await connectPostgres(databaseUrl, 'source');
  try {
    return await currentWalLsn(client);
  } finally {
    await client.end();
  }
}
