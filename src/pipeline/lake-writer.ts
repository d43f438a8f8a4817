import type { DataFile } from '../lake/iceberg/spec-types.ts';
import type { LakeTable, LoadedTable } from '../lake/lake-table.ts';
import { ancestorSummaryValue } from '../lake/lake-table.ts';
import { ColumnBuffer } from '../lake/batch/column-buffer.ts';
import { writeDataFiles } from '../lake/batch/data-file-writer.ts';
import type { RowValues } from '../lake/tables/table-definition.ts';
import { formatLsn, parseLsn, type Lsn } from '../source/lsn.ts';
import { formatTimestamptz } from '../source/exact-values.ts';

/** Snapshot summary key holding the end LSN of the last source transaction in the table. */
export const SOURCE_LSN_KEY = 'invoice-lake.source-lsn';
export const SOURCE_COMMIT_TIME_KEY = 'invoice-lake.source-commit-time';

export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
}

export interface CommitReport {
  lsn: Lsn;
  rows: Record<string, number>;
  snapshots: Record<string, bigint>;
  /** Writing the remaining Parquet files plus every table's commit. */
  durationMs: number;
}

/**
 * Accepts rows per lake table, spills them to Parquet files when a batch
 * bound is reached, and commits all pending files at a transaction boundary.
 *
 * Each table remembers its watermark: the end LSN of the last source
 * transaction it contains, stored in its snapshot summary. Rows of a
 * transaction whose commit LSN is below a table's watermark are already
 * there; `includes()` lets the caller skip them after a restart.
 */
export class LakeWriter {
  readonly #tables = new Map<string, { table: LakeTable; loaded: LoadedTable; buffer: ColumnBuffer; pending: DataFile[]; watermark: Lsn }>();
  readonly #limits: BatchLimits;
  #pendingRows = 0;

  private constructor(limits: BatchLimits) {
    this.#limits = limits;
  }

  static async open(tables: LakeTable[], limits: BatchLimits): Promise<LakeWriter> {
    const writer = new LakeWriter(limits);
    for (const table of tables) {
      const loaded = await table.load();
      const stored = ancestorSummaryValue(loaded.metadata, SOURCE_LSN_KEY);
      writer.#tables.set(table.definition.name, {
        table,
        loaded,
        buffer: new ColumnBuffer(table.definition),
        pending: [],
        watermark: stored ? parseLsn(stored) : 0n,
      });
    }
    return writer;
  }

  /** The lowest watermark over all tables: nothing at or below it is missing anywhere. */
  get lowestWatermark(): Lsn {
    let lowest: Lsn | undefined;
    for (const state of this.#tables.values()) if (lowest === undefined || state.watermark < lowest) lowest = state.watermark;
    return lowest ?? 0n;
  }

  /** A snapshot summary value of the table's current state (or its ancestors). */
  summaryValue(table: string, key: string): string | undefined {
    return ancestorSummaryValue(this.#state(table).loaded.metadata, key);
  }

  /** True when the table has rows waiting for the next commit. */
  hasPending(table: string): boolean {
    const state = this.#state(table);
    return state.buffer.rowCount > 0 || state.pending.length > 0;
  }

  watermark(table: string): Lsn {
    return this.#state(table).watermark;
  }

  /** True when the transaction whose commit record is at `commitLsn` is already in `table`. */
  includes(table: string, commitLsn: Lsn): boolean {
    return commitLsn < this.#state(table).watermark;
  }

  /** Rows accepted but not yet committed. */
  get pendingRows(): number {
    return this.#pendingRows;
  }

  append(table: string, row: RowValues): void {
    this.#state(table).buffer.append(row);
    this.#pendingRows++;
  }

  /** Writes buffers that reached a bound to Parquet, keeping memory bounded inside large transactions. */
  async spillIfFull(): Promise<void> {
    let bytes = 0;
    for (const state of this.#tables.values()) bytes += state.buffer.estimatedBytes;
    for (const state of this.#tables.values()) {
      if (state.buffer.rowCount >= this.#limits.maxRows || (bytes >= this.#limits.maxBytes && state.buffer.rowCount > 0)) {
        state.pending.push(...(await writeDataFiles(state.table, state.buffer)));
      }
    }
  }

  /** True when some rows were already spilled to files and wait for a commit. */
  get hasSpilledFiles(): boolean {
    for (const state of this.#tables.values()) if (state.pending.length > 0) return true;
    return false;
  }

  /**
   * Commits everything accepted so far as one snapshot per table that has rows.
   * Call only at a transaction boundary: `lsn` is the end LSN of the last
   * complete transaction and becomes the watermark of the committed tables.
   */
  async commit(lsn: Lsn, commitTimeMicros: bigint, extraSummary: Record<string, Record<string, string>> = {}): Promise<CommitReport> {
    const started = performance.now();
    const report: CommitReport = { lsn, rows: {}, snapshots: {}, durationMs: 0 };
    for (const [name, state] of this.#tables) {
      if (state.buffer.rowCount > 0) state.pending.push(...(await writeDataFiles(state.table, state.buffer)));
      if (state.pending.length === 0) continue;
      const { result, table } = await state.table.append(state.loaded, state.pending, {
        [SOURCE_LSN_KEY]: formatLsn(lsn),
        [SOURCE_COMMIT_TIME_KEY]: formatTimestamptz(commitTimeMicros),
        ...extraSummary[name],
      });
      report.rows[name] = Number(state.pending.reduce((sum, file) => sum + file.recordCount, 0n));
      report.snapshots[name] = result.snapshotId;
      state.loaded = table;
      state.pending = [];
      state.watermark = lsn;
    }
    this.#pendingRows = 0;
    report.durationMs = Math.round(performance.now() - started);
    return report;
  }

  /** Drops everything not committed (after a lost connection the server resends it). */
  discard(): void {
    for (const state of this.#tables.values()) {
      state.buffer.clear();
      state.pending = [];
    }
    this.#pendingRows = 0;
  }

  #state(table: string) {
    const state = this.#tables.get(table);
    if (!state) throw new Error(`unknown lake table ${table}`);
    return state;
  }
}
