import type { ChangeMessage, Relation } from '../source/change-source.ts';
import type { Lsn } from '../source/lsn.ts';

/** The transaction whose changes are arriving: one object per transaction, from its `begin` to its `commit`. */
export interface OpenTransaction {
  /** LSN of the transaction's commit record (pgoutput Begin's final LSN). */
  commitLsn: Lsn;
  commitTimeMicros: bigint;
}

/** A change the sink routes; `relation` messages go to `relation()`. */
export type SinkChange = Extract<ChangeMessage, { kind: 'insert' | 'update' | 'delete' | 'truncate' }>;

/**
 * What the durable stream (durable-stream.ts) needs from downstream.
 *
 * Ordering: changes arrive in WAL commit order, each one of the open
 * transaction, followed by `endTransaction`. `commit` is called only at a
 * transaction boundary and takes everything accepted so far; commits land
 * in the order they were started.
 *
 * Durability: accepting a change makes nothing durable. A commit's promise
 * resolves only when what it took is durable; the stream acknowledges the
 * source after that, never before. A failed commit fails every later one
 * until `discard()`.
 *
 * Idempotency: after a failure or restart the source resends from the last
 * acknowledged position, so a sink must skip (or tolerate) changes it
 * already made durable (the lake does it by per-table watermark).
 */
export interface ChangeSink<Report> {
  /** A relation's (new) shape; may arrive between transactions. */
  relation(relation: Relation): void;
  /** Routes a change of `txn`; true when it added work for the next commit (it starts the delay clock). */
  accept(change: SinkChange, txn: OpenTransaction): boolean;
  /** `txn` is complete: finish its work (e.g. score it) before the boundary may commit. */
  endTransaction(txn: OpenTransaction): Promise<void>;
  /** Spills buffered work when a bound is reached, keeping memory bounded inside large transactions. */
  spillIfFull(): Promise<void>;
  /** Rows accepted but not yet durable, including those of commits in flight. */
  readonly pendingRows: number;
  /** Rows accepted since the last commit started: what the next commit takes. */
  readonly freshRows: number;
  /** True when some accepted rows were already spilled and wait for a commit. */
  readonly hasSpilled: boolean;
  /** True while a started commit has not landed. */
  readonly committing: boolean;
  /** Takes everything accepted (synchronously) and makes it durable as of `boundary`; resolves when it landed. */
  commit(boundary: { lsn: Lsn; commitTimeMicros: bigint }): Promise<Report>;
  /** Settles when every started commit has landed or failed. */
  settled(): Promise<void>;
  /** Drops everything not durable; a commit in flight never lands afterwards. */
  discard(): void;
}
