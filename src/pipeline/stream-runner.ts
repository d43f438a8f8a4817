import type { ChangeMessage, ChangeSource, Relation } from '../source/change-source.ts';
import { ValueRejected } from '../source/exact-values.ts';
import type { Lsn } from '../source/lsn.ts';
import type { LakeWriter, CommitReport } from './lake-writer.ts';
import {
  changeRow,
  decodeInvoice,
  decodeInvoiceKey,
  invoiceColumnPositions,
  quarantineRow,
  type InvoiceColumnPositions,
  type TransactionContext,
} from './invoice-rows.ts';
import { failpoint } from '../lake/failpoints.ts';
import { SCORE_BATCH_ROWS, type ScoringStage } from './scoring-stage.ts';

/** What a checkpoint adds to a commit. */
export interface CommitPreparation {
  /** Extra snapshot summary entries per table. */
  summary: Record<string, Record<string, string>>;
  /** Settles when what the summary names is durable; the catalog commit waits for it. */
  ready?: Promise<unknown>;
}

/** Saves what must be restored with the lake state (the feature state) at each commit. */
export interface CommitCheckpoint {
  /**
   * Called as a commit starts, at the exact boundary it commits; must
   * capture its state before returning (the stream goes on right after).
   */
  beforeCommit(writer: LakeWriter): CommitPreparation;
  /** The commit is durable: older checkpoints can go. */
  afterCommit(): Promise<void>;
  /**
   * True when `idle()` has work waiting (a new model). The runner then makes
   * the lake catch up with the stream at the next transaction boundary.
   */
  changePending?(): Promise<boolean>;
  /**
   * Nothing is open, pending or in flight: the lake holds exactly what was
   * processed. The only moment a new model may take over, so a restart
   * scores every replayed invoice with the model the original run used.
   */
  idle?(): Promise<void>;
}

/** Commits that may be landing at once. */
const MAX_COMMITS_IN_FLIGHT = 2;

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
 * The durable-LSN rule in one place: changes flow from the source into the
 * lake writer, a commit happens only at a transaction boundary, and the slot
 * is acknowledged only after the commit that holds those changes returned.
 *
 * Not thread-safe by design: the source awaits `handle` for each message and
 * the commit timer goes through the same serial chain.
 */
export class StreamRunner {
  readonly #source: ChangeSource;
  readonly #writer: LakeWriter;
  readonly #scoring: ScoringStage;
  readonly #checkpoint: CommitCheckpoint | undefined;
  readonly #options: StreamRunnerOptions;
  readonly #events: StreamEvents;
  readonly #positions = new Map<number, InvoiceColumnPositions | { missing: string[] }>();
  #txn: (TransactionContext & { skip: Record<string, boolean> }) | undefined;
  #lastCompleteLsn: Lsn;
  #lastCommitTimeMicros = 0n;
  #acknowledgedLsn: Lsn;
  #oldestUncommittedMs: number | undefined;
  #stopRequested = false;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #finished = false;
  /** Commits in flight, oldest first; each acknowledges its LSN when it lands. */
  #landings: Array<Promise<void>> = [];
  #failure: unknown;

  constructor(
    deps: { source: ChangeSource; writer: LakeWriter; scoring: ScoringStage; checkpoint?: CommitCheckpoint },
    options: StreamRunnerOptions,
    events: StreamEvents = {},
  ) {
    this.#source = deps.source;
    this.#writer = deps.writer;
    this.#scoring = deps.scoring;
    this.#checkpoint = deps.checkpoint;
    this.#options = options;
    this.#events = events;
    this.#lastCompleteLsn = options.confirmedLsn;
    this.#acknowledgedLsn = options.confirmedLsn;
  }

  get acknowledgedLsn(): Lsn {
    return this.#acknowledgedLsn;
  }

  /** Streams until `requestStop()` or, in batch mode, until `stopAtLsn` is in the lake. */
  async run(): Promise<void> {
    this.#timer = setInterval(() => void this.#serial(() => this.#onTimer()).catch((error: unknown) => this.#fail(error)), Math.min(this.#options.maxDelayMs, 250));
    try {
      await this.#source.run((message) => this.#serial(() => this.#handle(message)));
    } finally {
      clearInterval(this.#timer);
      await this.#chain.catch(() => undefined);
      // A commit still landing must settle before anyone reopens the lake from its state.
      await this.#writer.settled();
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
    this.#writer.discard();
    this.#scoring.discard();
    this.#txn = undefined;
    this.#oldestUncommittedMs = undefined;
    this.#lastCompleteLsn = this.#acknowledgedLsn;
    this.#positions.clear();
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
        this.#txn = { commitLsn: message.finalLsn, commitTimeMicros: message.commitTimeMicros, skip: {} };
        return;
      case 'commit':
        // Scored as soon as the transaction is complete, before any lake commit: alerts do not wait for the batch.
        await this.#scoring.flush();
        this.#txn = undefined;
        this.#lastCompleteLsn = message.endLsn;
        this.#lastCommitTimeMicros = message.commitTimeMicros;
        await this.#maybeCommit();
        return;
      case 'relation':
        this.#positions.delete(message.relation.oid);
        return;
      case 'insert':
      case 'update':
      case 'delete':
        if (this.#isSource(message.relation)) this.#onRowChange(message);
        if (this.#scoring.pendingCount >= SCORE_BATCH_ROWS) await this.#scoring.flush();
        await this.#writer.spillIfFull();
        return;
      case 'truncate':
        for (const relation of message.relations) {
          if (this.#isSource(relation) && this.#txn && !this.#skip('invoice_changes')) {
            this.#track();
            this.#writer.append('invoice_changes', changeRow('truncate', null, null, this.#txn));
          }
        }
        return;
      case 'keepalive':
        await this.#onKeepalive(message.walEnd);
        return;
      case 'ignored':
        return;
    }
  }

  #onRowChange(message: Extract<ChangeMessage, { kind: 'insert' | 'update' | 'delete' }>): void {
    const txn = this.#txn;
    if (!txn) throw new Error(`pgoutput: ${message.kind} outside a transaction`);
    const positions = this.#positionsOf(message.relation);
    const values = message.kind === 'delete' ? message.old : message.values;
    try {
      if ('missing' in positions) throw new ValueRejected(`source table lacks column(s) ${positions.missing.join(', ')}`);
      if (message.kind === 'insert') {
        if (this.#skip('invoices')) return;
        const invoice = decodeInvoice(values, positions);
        this.#track();
        this.#scoring.add(invoice, txn);
        return;
      }
      if (this.#skip('invoice_changes')) return;
      const key = message.kind === 'delete' || message.old === null ? null : decodeInvoiceKey(message.old, positions);
      if (message.kind === 'delete') {
        const deletedKey = decodeInvoiceKey(message.old, positions);
        this.#track();
        this.#writer.append('invoice_changes', changeRow('delete', deletedKey, null, txn));
        return;
      }
      const next = decodeInvoice(values, positions);
      this.#track();
      this.#writer.append('invoice_changes', changeRow('update', key ?? next.invoiceId, next, txn));
    } catch (error) {
      if (!(error instanceof ValueRejected)) throw error;
      if (this.#skip('quarantine')) return;
      this.#track();
      this.#writer.append('quarantine', quarantineRow(message.relation, message.kind, values, error.message, txn));
      this.#events.onQuarantine?.(error.message);
    }
  }

  #skip(table: string): boolean {
    const txn = this.#txn!;
    return (txn.skip[table] ??= this.#writer.includes(table, txn.commitLsn));
  }

  #track(): void {
    this.#oldestUncommittedMs ??= Date.now();
  }

  #positionsOf(relation: Relation) {
    let positions = this.#positions.get(relation.oid);
    if (!positions) this.#positions.set(relation.oid, (positions = invoiceColumnPositions(relation)));
    return positions;
  }

  #isSource(relation: Relation): boolean {
    return `${relation.schema}.${relation.name}` === this.#options.sourceTable;
  }

  async #maybeCommit(): Promise<void> {
    const due =
      this.#stopRequested ||
      this.#writer.hasSpilledFiles ||
      (this.#oldestUncommittedMs !== undefined && Date.now() - this.#oldestUncommittedMs >= this.#options.maxDelayMs) ||
      (this.#options.stopAtLsn !== undefined && this.#lastCompleteLsn >= this.#options.stopAtLsn);
    if (await this.#checkpoint?.changePending?.()) {
      // Catch up fully, so the change takes effect exactly at a lake commit boundary.
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
    if (this.#writer.pendingRows === 0 && this.#scoring.pendingCount === 0) await this.#checkpoint?.idle?.();
    if (this.#options.stopAtLsn !== undefined && !this.#finished) this.#source.requestKeepalive();
  }

  async #onKeepalive(walEnd: Lsn): Promise<void> {
    if (this.#txn) return;
    // Every transaction that commits before walEnd has been delivered; with nothing
    // uncommitted, confirming walEnd lets the slot release WAL while the table is idle.
    if (this.#writer.pendingRows === 0 && walEnd > this.#lastCompleteLsn) this.#lastCompleteLsn = walEnd;
    if (this.#writer.pendingRows === 0) this.#acknowledge(this.#lastCompleteLsn);
    await this.#maybeCommit();
  }

  /**
   * Starts a commit of everything accepted so far and lets the stream go on
   * while it lands; at most one commit is in flight. The slot is acknowledged
   * when the commit has landed, never before. `wait` also waits for it.
   */
  async #commitAndAcknowledge(options: { wait: boolean } = { wait: false }): Promise<void> {
    if (this.#writer.freshRows > 0) {
      // A second commit may start while the first lands; a third waits (bounds memory when the lake is slow).
      while (this.#landings.length >= MAX_COMMITS_IN_FLIGHT) await this.#landings.shift();
      const prepared = this.#checkpoint?.beforeCommit(this.#writer) ?? { summary: {} };
      const lsn = this.#lastCompleteLsn;
      const commit = this.#writer.commit(lsn, this.#lastCommitTimeMicros, prepared.summary, prepared.ready);
      this.#oldestUncommittedMs = undefined;
      const landing = commit.then(async (report) => {
        this.#events.onCommit?.(report);
        failpoint('before-acknowledge');
        this.#acknowledge(lsn);
        await this.#checkpoint?.afterCommit();
      });
      landing.catch((error: unknown) => this.#fail(error));
      this.#landings.push(landing);
    }
    if (options.wait || !this.#writer.committing) {
      while (this.#landings.length > 0) await this.#landings.shift();
    }
    if (!this.#writer.committing && this.#writer.freshRows === 0) this.#acknowledge(this.#lastCompleteLsn);
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
