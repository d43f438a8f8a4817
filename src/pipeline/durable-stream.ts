import type { ChangeMessage, ChangeSource } from '../source/change-source.ts';
import type { Lsn } from '../source/lsn.ts';
import { failpoint } from '../lake/failpoints.ts';
import type { ChangeSink, OpenTransaction } from './change-sink.ts';
import { systemClock, type StreamClock } from './stream-clock.ts';

/** What the stream tells a checkpoint (the feature state, the model registry) about commits. */
export interface StreamCheckpoint {
  /** A commit landed and was acknowledged: older checkpoints can go. */
  afterCommit?(): Promise<void>;
  /**
   * True when `idle()` has work waiting (a new model). The stream then makes
   * the sink catch up with the source at the next transaction boundary.
   */
  changePending?(): Promise<boolean>;
  /**
   * Nothing is open, pending or in flight: the sink holds exactly what was
   * processed. The only moment a new model may take over, so a restart
   * scores every replayed invoice with the model the original run used.
   */
  idle?(): Promise<void>;
}

export interface DurableStreamOptions {
  /** Longest time accepted work waits for a commit (it still waits for the transaction to end). */
  maxDelayMs: number;
  /** Batch mode: stop once everything up to this WAL position is durable. */
  stopAtLsn?: Lsn;
  /** Position the server resumes from (the slot's confirmed_flush_lsn). */
  confirmedLsn: Lsn;
}

export interface DurableStreamEvents<Report> {
  onCommit?(report: Report): void;
  onAcknowledge?(lsn: Lsn): void;
}

/** Commits that may be landing at once; a third waits (bounds memory when the sink is slow). */
export const MAX_COMMITS_IN_FLIGHT = 2;

/**
 * The durable-LSN rule: changes flow from the source into the sink, a commit
 * starts only at a transaction boundary (when the delay elapsed, the sink
 * spilled, a stop was requested, batch mode reached its target, or a model
 * change waits), and the source is acknowledged only up to the last commit
 * that landed. With nothing pending, keepalive positions are acknowledged so
 * the slot releases WAL while the source is idle.
 *
 * Not thread-safe by design: the source awaits the handler for each message
 * and the timer goes through the same serial chain.
 */
export class DurableStream<Report> {
  readonly #source: ChangeSource;
  readonly #sink: ChangeSink<Report>;
  readonly #checkpoint: StreamCheckpoint | undefined;
  readonly #clock: StreamClock;
  readonly #options: DurableStreamOptions;
  readonly #events: DurableStreamEvents<Report>;
  #txn: OpenTransaction | undefined;
  #lastCompleteLsn: Lsn;
  #lastCommitTimeMicros = 0n;
  #acknowledgedLsn: Lsn;
  #oldestUncommittedMs: number | undefined;
  #stopRequested = false;
  #chain: Promise<void> = Promise.resolve();
  #finished = false;
  /** Commits in flight, oldest first; each acknowledges its LSN when it lands. */
  #landings: Array<Promise<void>> = [];
  #failure: unknown;

  constructor(
    deps: { source: ChangeSource; sink: ChangeSink<Report>; checkpoint?: StreamCheckpoint; clock?: StreamClock },
    options: DurableStreamOptions,
    events: DurableStreamEvents<Report> = {},
  ) {
    this.#source = deps.source;
    this.#sink = deps.sink;
    this.#checkpoint = deps.checkpoint;
    this.#clock = deps.clock ?? systemClock;
    this.#options = options;
    this.#events = events;
    this.#lastCompleteLsn = options.confirmedLsn;
    this.#acknowledgedLsn = options.confirmedLsn;
  }

  get acknowledgedLsn(): Lsn {
    return this.#acknowledgedLsn;
  }

  /** Streams until `requestStop()` or, in batch mode, until `stopAtLsn` is durable. */
  async run(): Promise<void> {
    const tick = () => void this.#serial(() => this.#onTimer()).catch((error: unknown) => this.#fail(error));
    const stopTimer = this.#clock.every(Math.min(this.#options.maxDelayMs, 250), tick);
    try {
      await this.#source.run((message) => this.#serial(() => this.#handle(message)));
    } finally {
      stopTimer();
      await this.#chain.catch(() => undefined);
      // A commit still landing must settle before anyone reopens the sink from its state.
      await this.#sink.settled();
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Graceful stop: finish the open transaction, commit, acknowledge, then end the stream. */
  requestStop(): void {
    this.#stopRequested = true;
    void this.#serial(() => this.#onTimer()).catch(() => undefined);
  }

  /** Drops uncommitted work after a failure; the server resends it from the acknowledged position. */
  discardUncommitted(): void {
    this.#sink.discard();
    this.#txn = undefined;
    this.#oldestUncommittedMs = undefined;
    this.#lastCompleteLsn = this.#acknowledgedLsn;
  }

  #serial(task: () => Promise<void> | void): Promise<void> {
    const next = this.#chain.then(task);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Ends the stream with `error` (a failed background commit, or a failure on the timer). */
  #fail(error: unknown): void {
    this.#failure ??= error;
    void this.#source.stop();
  }

  async #handle(message: ChangeMessage): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    switch (message.kind) {
      case 'begin':
        this.#txn = { commitLsn: message.finalLsn, commitTimeMicros: message.commitTimeMicros };
        return;
      case 'commit':
        // Finished (scored) as soon as the transaction is complete, before any commit: alerts do not wait for the batch.
        if (this.#txn) await this.#sink.endTransaction(this.#txn);
        this.#txn = undefined;
        this.#lastCompleteLsn = message.endLsn;
        this.#lastCommitTimeMicros = message.commitTimeMicros;
        await this.#maybeCommit();
        return;
      case 'relation':
        this.#sink.relation(message.relation);
        return;
      case 'insert':
      case 'update':
      case 'delete':
        if (!this.#txn) throw new Error(`pgoutput: ${message.kind} outside a transaction`);
        if (this.#sink.accept(message, this.#txn)) this.#track();
        await this.#sink.spillIfFull();
        return;
      case 'truncate':
        if (this.#txn && this.#sink.accept(message, this.#txn)) this.#track();
        return;
      case 'keepalive':
        await this.#onKeepalive(message.walEnd);
        return;
      case 'ignored':
        return;
    }
  }

  #track(): void {
    this.#oldestUncommittedMs ??= this.#clock.nowMs();
  }

  async #maybeCommit(): Promise<void> {
    const due =
      this.#stopRequested ||
      this.#sink.hasSpilled ||
      (this.#oldestUncommittedMs !== undefined && this.#clock.nowMs() - this.#oldestUncommittedMs >= this.#options.maxDelayMs) ||
      (this.#options.stopAtLsn !== undefined && this.#lastCompleteLsn >= this.#options.stopAtLsn);
    if (await this.#checkpoint?.changePending?.()) {
      // Catch up fully, so the change takes effect exactly at a commit boundary.
      await this.#commitAndAcknowledge({ wait: true });
      await this.#checkpoint?.idle?.();
    } else if (due) {
      await this.#commitAndAcknowledge();
    }
    await this.#finishIfDone();
  }

  async #onTimer(): Promise<void> {
    if (this.#txn || this.#failure !== undefined) return; // commit only at a transaction boundary
    await this.#maybeCommit();
    if (this.#sink.pendingRows === 0) await this.#checkpoint?.idle?.();
    if (this.#options.stopAtLsn !== undefined && !this.#finished) this.#source.requestKeepalive();
  }

  async #onKeepalive(walEnd: Lsn): Promise<void> {
    if (this.#txn) return;
    // Every transaction that commits before walEnd has been delivered; with nothing
    // uncommitted, confirming walEnd lets the slot release WAL while the table is idle.
    if (this.#sink.pendingRows === 0 && walEnd > this.#lastCompleteLsn) this.#lastCompleteLsn = walEnd;
    if (this.#sink.pendingRows === 0) this.#acknowledge(this.#lastCompleteLsn);
    await this.#maybeCommit();
  }

  /**
   * Starts a commit of everything accepted so far and lets the stream go on
   * while it lands. The source is acknowledged when the commit has landed,
   * never before. `wait` also waits for it.
   */
  async #commitAndAcknowledge(options: { wait: boolean } = { wait: false }): Promise<void> {
    if (this.#sink.freshRows > 0) {
      while (this.#landings.length >= MAX_COMMITS_IN_FLIGHT) await this.#landings.shift();
      const lsn = this.#lastCompleteLsn;
      const commit = this.#sink.commit({ lsn, commitTimeMicros: this.#lastCommitTimeMicros });
      this.#oldestUncommittedMs = undefined;
      const landing = commit.then(async (report) => {
        this.#events.onCommit?.(report);
        failpoint('before-acknowledge');
        this.#acknowledge(lsn);
        await this.#checkpoint?.afterCommit?.();
      });
      landing.catch((error: unknown) => this.#fail(error));
      this.#landings.push(landing);
    }
    if (options.wait || !this.#sink.committing) {
      while (this.#landings.length > 0) await this.#landings.shift();
    }
    if (!this.#sink.committing && this.#sink.freshRows === 0) this.#acknowledge(this.#lastCompleteLsn);
  }

  #acknowledge(lsn: Lsn): void {
    if (lsn <= this.#acknowledgedLsn) return;
    this.#source.acknowledge(lsn);
    this.#acknowledgedLsn = lsn;
    this.#events.onAcknowledge?.(lsn);
  }

  async #finishIfDone(): Promise<void> {
    if (this.#finished || this.#txn) return;
    const reachedTarget = this.#options.stopAtLsn !== undefined && this.#lastCompleteLsn >= this.#options.stopAtLsn;
    if (!this.#stopRequested && !reachedTarget) return;
    await this.#commitAndAcknowledge({ wait: true });
    this.#finished = true;
    await this.#source.stop();
  }
}
