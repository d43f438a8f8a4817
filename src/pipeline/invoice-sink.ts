import type { Relation } from '../source/change-source.ts';
import { ValueRejected } from '../source/exact-values.ts';
import type { Lsn } from '../source/lsn.ts';
import type { LakeWriter, CommitReport } from './lake-writer.ts';
import type { ChangeSink, OpenTransaction, SinkChange } from './change-sink.ts';
import { changeRow, decodeInvoice, decodeInvoiceKey, invoiceColumnPositions, quarantineRow, type InvoiceColumnPositions } from './invoice-rows.ts';
import { SCORE_BATCH_ROWS, type ScoringStage } from './scoring-stage.ts';

/** What a checkpoint adds to a lake commit. */
export interface CommitPreparation {
  /** Extra snapshot summary entries per table. */
  summary: Record<string, Record<string, string>>;
  /** Settles when what the summary names is durable; the catalog commit waits for it. */
  ready?: Promise<unknown>;
}

export interface InvoiceSinkEvents {
  onQuarantine?(reason: string): void;
}

type RowChange = Extract<SinkChange, { kind: 'insert' | 'update' | 'delete' }>;

/**
 * Routes the source invoices table into the lake: inserts to `invoices`
 * (through the scoring stage), updates, deletes and truncates to
 * `invoice_changes`, values that cannot be stored exactly to `quarantine`.
 * Changes of other relations are ignored.
 *
 * Idempotent across restarts: a transaction whose commit LSN is below a
 * table's watermark is already in that table and is skipped there.
 */
export class InvoiceSink implements ChangeSink<CommitReport> {
  readonly #writer: LakeWriter;
  readonly #scoring: ScoringStage;
  readonly #checkpoint: { beforeCommit(writer: LakeWriter): CommitPreparation } | undefined;
  readonly #sourceTable: string;
  readonly #events: InvoiceSinkEvents;
  readonly #positions = new Map<number, InvoiceColumnPositions | { missing: string[] }>();
  /** Per table, whether the transaction being routed is already in the lake. */
  #skip: { txn: OpenTransaction | undefined; tables: Record<string, boolean> } = { txn: undefined, tables: {} };

  /** `checkpoint.beforeCommit` runs at the exact boundary each commit takes, before the rows are taken. */
  constructor(
    deps: { writer: LakeWriter; scoring: ScoringStage; checkpoint?: { beforeCommit(writer: LakeWriter): CommitPreparation } },
    options: { sourceTable: string },
    events: InvoiceSinkEvents = {},
  ) {
    this.#writer = deps.writer;
    this.#scoring = deps.scoring;
    this.#checkpoint = deps.checkpoint;
    this.#sourceTable = options.sourceTable;
    this.#events = events;
  }

  relation(relation: Relation): void {
    this.#positions.delete(relation.oid);
  }

  accept(change: SinkChange, txn: OpenTransaction): boolean {
    if (this.#skip.txn !== txn) this.#skip = { txn, tables: {} };
    if (change.kind !== 'truncate') return this.#isSource(change.relation) && this.#onRowChange(change, txn);
    let accepted = false;
    for (const relation of change.relations) {
      if (this.#isSource(relation) && !this.#skips('invoice_changes', txn)) {
        this.#writer.append('invoice_changes', changeRow('truncate', null, null, txn));
        accepted = true;
      }
    }
    return accepted;
  }

  /** Scores the transaction's invoices as soon as it is complete: alerts do not wait for a lake commit. */
  async endTransaction(): Promise<void> {
    await this.#scoring.flush();
  }

  async spillIfFull(): Promise<void> {
    if (this.#scoring.pendingCount >= SCORE_BATCH_ROWS) await this.#scoring.flush();
    await this.#writer.spillIfFull();
  }

  get pendingRows(): number {
    return this.#writer.pendingRows + this.#scoring.pendingCount;
  }

  get freshRows(): number {
    return this.#writer.freshRows + this.#scoring.pendingCount;
  }

  get hasSpilled(): boolean {
    return this.#writer.hasSpilledFiles;
  }

  get committing(): boolean {
    return this.#writer.committing;
  }

  commit(boundary: { lsn: Lsn; commitTimeMicros: bigint }): Promise<CommitReport> {
    const prepared = this.#checkpoint?.beforeCommit(this.#writer) ?? { summary: {} };
    return this.#writer.commit(boundary.lsn, boundary.commitTimeMicros, prepared.summary, prepared.ready);
  }

  settled(): Promise<void> {
    return this.#writer.settled();
  }

  discard(): void {
    this.#writer.discard();
    this.#scoring.discard();
    this.#skip = { txn: undefined, tables: {} };
    this.#positions.clear();
  }

  /** True when something went to the lake (or waits for scoring). */
  #onRowChange(change: RowChange, txn: OpenTransaction): boolean {
    const positions = this.#positionsOf(change.relation);
    const values = change.kind === 'delete' ? change.old : change.values;
    try {
      if ('missing' in positions) throw new ValueRejected(`source table lacks column(s) ${positions.missing.join(', ')}`);
      if (change.kind === 'insert') {
        if (this.#skips('invoices', txn)) return false;
        this.#scoring.add(decodeInvoice(values, positions), txn);
        return true;
      }
      if (this.#skips('invoice_changes', txn)) return false;
      if (change.kind === 'delete') {
        this.#writer.append('invoice_changes', changeRow('delete', decodeInvoiceKey(change.old, positions), null, txn));
        return true;
      }
      const key = change.old === null ? null : decodeInvoiceKey(change.old, positions);
      const next = decodeInvoice(values, positions);
      this.#writer.append('invoice_changes', changeRow('update', key ?? next.invoiceId, next, txn));
      return true;
    } catch (error) {
      if (!(error instanceof ValueRejected)) throw error;
      if (this.#skips('quarantine', txn)) return false;
      this.#writer.append('quarantine', quarantineRow(change.relation, change.kind, values, error.message, txn));
      this.#events.onQuarantine?.(error.message);
      return true;
    }
  }

  #skips(table: string, txn: OpenTransaction): boolean {
    return (this.#skip.tables[table] ??= this.#writer.includes(table, txn.commitLsn));
  }

  #positionsOf(relation: Relation): InvoiceColumnPositions | { missing: string[] } {
    let positions = this.#positions.get(relation.oid);
    if (!positions) this.#positions.set(relation.oid, (positions = invoiceColumnPositions(relation)));
    return positions;
  }

  #isSource(relation: Relation): boolean {
    return `${relation.schema}.${relation.name}` === this.#sourceTable;
  }
}
