import type { DataFile } from '../lake/iceberg/spec-types.ts';
import type { LakeTable, LoadedTable } from '../lake/lake-table.ts';
import { ancestorSummaryValue } from '../lake/lake-table.ts';
import { ColumnBuffer } from '../lake/batch/column-buffer.ts';
import { writeDataFiles } from '../lake/batch/data-file-writer.ts';
import { inlineEncoder, type BatchEncoder } from '../lake/batch/parquet-encoder.ts';
import type { RowValues } from '../lake/tables/table-definition.ts';
import { formatLsn, parseLsn, type Lsn } from '../source/lsn.ts';
import { formatTimestamptz } from '../source/exact-values.ts';
import { checkClaim, type WriterClaim } from '../lake/writer-fence.ts';
import { LakeError } from '../errors/lake-error.ts';

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

/** Spilled batches being encoded at once inside a large transaction; bounds memory. */
const MAX_SPILLS_IN_FLIGHT = 2;

interface TableState {
  table: LakeTable;
  loaded: LoadedTable;
  buffer: ColumnBuffer;
  /** Data files of rows not yet part of a started commit, possibly still being encoded. */
  pending: Array<Promise<DataFile[]>>;
  watermark: Lsn;
  /** This process's claim on the table; commits are checked against it after a lost compare-and-swap. */
  claim?: WriterClaim;
}

/**
 * Accepts rows per lake table, spills them to Parquet files when a batch
 * bound is reached, and commits all pending files at a transaction boundary.
 *
 * A commit is pipelined: `commit()` takes the rows accepted so far at once
 * (synchronously), and encoding, file writes and the catalog commits happen
 * while the caller goes on accepting rows for the next commit. Commits land
 * in the order they were started.
 *
 * Each table remembers its watermark: the end LSN of the last source
 * transaction it contains, stored in its snapshot summary. Rows of a
 * transaction whose commit LSN is below a table's watermark are already
 * there; `includes()` lets the caller skip them after a restart.
 */
export class LakeWriter {
  readonly #tables = new Map<string, TableState>();
  readonly #limits: BatchLimits;
  readonly #encoder: BatchEncoder;
  /** Rows accepted since the last commit was started. */
  #freshRows = 0;
  /** Rows of started commits that have not landed yet. */
  #committingRows = 0;
  #commits: Promise<unknown> = Promise.resolve();
  #commitFailure: unknown;
  #spills: Array<Promise<unknown>> = [];
  /** Bumped by `discard()`, so a commit started before it never lands afterwards. */
  #generation = 0;

  private constructor(limits: BatchLimits, encoder: BatchEncoder) {
    this.#limits = limits;
    this.#encoder = encoder;
  }

  /**
   * Loads each table's state. With `claims` (this process already claimed
   * the tables, see table-claims.ts), a table another writer claimed since
   * is refused.
   */
  static async open(tables: LakeTable[], limits: BatchLimits, encoder: BatchEncoder = inlineEncoder, claims?: ReadonlyMap<string, WriterClaim>): Promise<LakeWriter> {
    const writer = new LakeWriter(limits, encoder);
    for (const table of tables) {
      const loaded = await table.load();
      const claim = claims?.get(table.definition.name);
      if (claim) checkClaim(table.definition.name, loaded.metadata, claim);
      writer.#tables.set(table.definition.name, {
        table,
        loaded,
        buffer: new ColumnBuffer(table.definition),
        pending: [],
        watermark: watermarkOf(loaded),
        claim,
      });
    }
    return writer;
  }

  /**
   * Takes the tables as this process just claimed them (before any row was
   * accepted): their newest state and watermark, and the claim every later
   * commit is checked against.
   */
  adoptClaims(claimed: ReadonlyMap<string, { claim: WriterClaim; table: LoadedTable }>): void {
    if (this.pendingRows > 0) throw new Error('claims must be adopted before rows are accepted');
    for (const [name, { claim, table }] of claimed) {
      const state = this.#state(name);
      state.loaded = table;
      state.watermark = watermarkOf(table);
      state.claim = claim;
    }
  }

  /** The lowest watermark over all tables: nothing at or below it is missing anywhere. */
  get lowestWatermark(): Lsn {
    let lowest: Lsn | undefined;
    for (const state of this.#tables.values()) if (lowest === undefined || state.watermark < lowest) lowest = state.watermark;
    return lowest ?? 0n;
  }

  /** A snapshot summary value of the table's latest committed state (or its ancestors). */
  summaryValue(table: string, key: string): string | undefined {
    return ancestorSummaryValue(this.#state(table).loaded.metadata, key);
  }

  /** True when the table has rows that the next commit will take. */
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

  /** Rows accepted but not yet durable (including those of a commit in flight). */
  get pendingRows(): number {
    return this.#freshRows + this.#committingRows;
  }

  /** Rows accepted since the last commit was started: what the next commit takes. */
  get freshRows(): number {
    return this.#freshRows;
  }

  /** True while a started commit has not landed. */
  get committing(): boolean {
    return this.#committingRows > 0;
  }

  append(table: string, row: RowValues): void {
    this.#state(table).buffer.append(row);
    this.#freshRows++;
  }

  /**
   * Hands buffers that reached a bound to the encoder, keeping memory bounded
   * inside large transactions; waits only when too many spills are in flight.
   */
  async spillIfFull(): Promise<void> {
    let bytes = 0;
    for (const state of this.#tables.values()) bytes += state.buffer.estimatedBytes;
    for (const state of this.#tables.values()) {
      if (state.buffer.rowCount >= this.#limits.maxRows || (bytes >= this.#limits.maxBytes && state.buffer.rowCount > 0)) {
        const files = this.#writeBuffer(state);
        state.pending.push(files);
        this.#spills.push(files);
      }
    }
    while (this.#spills.length > MAX_SPILLS_IN_FLIGHT) await this.#spills.shift()!.catch(() => undefined);
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
   *
   * The rows are taken before this returns; the promise settles when every
   * table's snapshot has landed. `ready` (files the summary names) is awaited
   * before the first catalog commit. A failed commit fails every later one: the
   * caller must discard and start over from the lake.
   */
  commit(lsn: Lsn, commitTimeMicros: bigint, extraSummary: Record<string, Record<string, string>> = {}, ready?: Promise<unknown>): Promise<CommitReport> {
    const started = performance.now();
    const work: Array<{ name: string; state: TableState; files: Array<Promise<DataFile[]>> }> = [];
    for (const [name, state] of this.#tables) {
      if (state.buffer.rowCount > 0) state.pending.push(this.#writeBuffer(state));
      if (state.pending.length === 0) continue;
      work.push({ name, state, files: state.pending });
      state.pending = [];
    }
    this.#spills = [];
    const rows = this.#freshRows;
    this.#freshRows = 0;
    this.#committingRows += rows;
    const generation = this.#generation;
    const landed = this.#commits.then(async () => {
      if (this.#commitFailure !== undefined) throw this.#commitFailure;
      const report: CommitReport = { lsn, rows: {}, snapshots: {}, durationMs: 0 };
      try {
        await ready;
        const encoded = await Promise.all(work.map(async ({ files }) => (await Promise.all(files)).flat()));
        if (generation !== this.#generation) throw new Error('the commit was discarded');
        // Each table has its own watermark, so their catalog commits need no order: they run at once.
        await Promise.all(
          work.map(async ({ name, state }, i) => {
            const dataFiles = encoded[i]!;
            const { result, table } = await state.table.append(
              state.loaded,
              dataFiles,
              {
                [SOURCE_LSN_KEY]: formatLsn(lsn),
                [SOURCE_COMMIT_TIME_KEY]: formatTimestamptz(commitTimeMicros),
                ...extraSummary[name],
              },
              { validate: (latest) => validateAfterConflict(name, state, latest) },
            );
            report.rows[name] = Number(dataFiles.reduce((sum, file) => sum + file.recordCount, 0n));
            report.snapshots[name] = result.snapshotId;
            state.loaded = table;
            state.watermark = lsn;
          }),
        );
      } catch (error) {
        if (generation === this.#generation) this.#commitFailure ??= error;
        throw error;
      }
      if (generation === this.#generation) this.#committingRows -= rows;
      report.durationMs = Math.round(performance.now() - started);
      return report;
    });
    this.#commits = landed.catch(() => undefined);
    return landed;
  }

  /** Settles when every started commit has landed or failed. */
  async settled(): Promise<void> {
    await this.#commits;
  }

  /** Drops everything not committed (after a lost connection the server resends it). */
  discard(): void {
    this.#generation++;
    for (const state of this.#tables.values()) {
      state.buffer.clear();
      state.pending = [];
    }
    this.#spills = [];
    this.#freshRows = 0;
    this.#committingRows = 0;
    this.#commitFailure = undefined;
  }

  #writeBuffer(state: TableState): Promise<DataFile[]> {
    const files = writeDataFiles(state.table, state.buffer.take(), this.#encoder);
    files.catch(() => undefined); // awaited by the commit; a discarded batch's failure is moot
    return files;
  }

  #state(table: string): TableState {
    const state = this.#tables.get(table);
    if (!state) throw new Error(`unknown lake table ${table}`);
    return state;
  }
}

function watermarkOf(table: LoadedTable): Lsn {
  const stored = ancestorSummaryValue(table.metadata, SOURCE_LSN_KEY);
  return stored ? parseLsn(stored) : 0n;
}

/**
 * After a lost compare-and-swap: the commit may go on top of what the other
 * writer committed only if that writer added no source changes (a job, a
 * compaction). A newer claim, or a moved watermark (the same source range
 * committed by another stream), stops this writer: re-appending its files
 * would duplicate rows the table already has.
 */
function validateAfterConflict(name: string, state: TableState, latest: LoadedTable): void {
  if (state.claim) checkClaim(name, latest.metadata, state.claim);
  const latestWatermark = watermarkOf(latest);
  if (latestWatermark === state.watermark) return;
  throw new LakeError('writer-fenced', `another writer committed source changes to lake table ${name} (up to ${formatLsn(latestWatermark)}) while this one committed up to ${formatLsn(state.watermark)}`, {
    hint: 'one process streams into a lake at a time: stop the other `invoice-lake run` (it may stream from another slot); this commit was dropped, nothing was duplicated',
  });
}
