import type { ChangeSource } from '../source/change-source.ts';
import type { Lsn } from '../source/lsn.ts';
import type { LakeWriter, CommitReport } from './lake-writer.ts';
import type { ScoringStage } from './scoring-stage.ts';
import { DurableStream, type StreamCheckpoint } from './durable-stream.ts';
import { InvoiceSink, type CommitPreparation } from './invoice-sink.ts';
import type { StreamClock } from './stream-clock.ts';

export type { CommitPreparation };

/** Saves what must be restored with the lake state (the feature state) at each commit. */
export interface CommitCheckpoint extends StreamCheckpoint {
  /**
   * Called as a commit starts, at the exact boundary it commits; must
   * capture its state before returning (the stream goes on right after).
   */
  beforeCommit(writer: LakeWriter): CommitPreparation;
  /** The commit is durable: older checkpoints can go. */
  afterCommit(): Promise<void>;
}

export interface StreamRunnerOptions {
  /** `schema.table` of the source invoices. */
  sourceTable: string;
  maxDelayMs: number;
  /** Batch mode: stop once everything up to this WAL position is in the lake. */
  stopAtLsn?: Lsn;
  /** Position the server resumes from (the slot's confirmed_flush_lsn). */
  confirmedLsn: Lsn;
}

export interface StreamEvents {
  onCommit?(report: CommitReport): void;
  onQuarantine?(reason: string): void;
  onAcknowledge?(lsn: Lsn): void;
}

/**
 * The invoice stream: the durable-LSN rule (durable-stream.ts) driving the
 * invoice routing into the lake (invoice-sink.ts). One per connection; after
 * a failure, `discardUncommitted()` and build a new one.
 */
export class StreamRunner {
  readonly #stream: DurableStream<CommitReport>;

  constructor(
    deps: { source: ChangeSource; writer: LakeWriter; scoring: ScoringStage; checkpoint?: CommitCheckpoint; clock?: StreamClock },
    options: StreamRunnerOptions,
    events: StreamEvents = {},
  ) {
    const sink = new InvoiceSink(
      { writer: deps.writer, scoring: deps.scoring, checkpoint: deps.checkpoint },
      { sourceTable: options.sourceTable },
      { onQuarantine: events.onQuarantine },
    );
    this.#stream = new DurableStream(
      { source: deps.source, sink, checkpoint: deps.checkpoint, clock: deps.clock },
      { maxDelayMs: options.maxDelayMs, stopAtLsn: options.stopAtLsn, confirmedLsn: options.confirmedLsn },
      { onCommit: events.onCommit, onAcknowledge: events.onAcknowledge },
    );
  }

  get acknowledgedLsn(): Lsn {
    return this.#stream.acknowledgedLsn;
  }

  /** Streams until `requestStop()` or, in batch mode, until `stopAtLsn` is in the lake. */
  run(): Promise<void> {
    return this.#stream.run();
  }

  /** Graceful stop: finish the open transaction, commit, acknowledge, then end the stream. */
  requestStop(): void {
    this.#stream.requestStop();
  }

  /** Drops uncommitted work after a failure; the server resends it from the acknowledged position. */
  discardUncommitted(): void {
    this.#stream.discardUncommitted();
  }
}
