import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { startBenchDatabase } from '../bench-database.ts';
import { allocateInvoiceColumns, copyLinesRecording, type InvoiceColumns } from '../invoice-columns.ts';
import { copyLines, take } from '../../src/source/populate/copy-stream.ts';
import { INVOICE_COPY_COLUMNS } from '../../src/source/populate/copy-text.ts';
import { loadCustomerIdPool } from '../../src/source/populate/customer-ids.ts';
import { createRng } from '../../src/source/populate/prng.ts';
import { advanceInvoiceIdSequence, INVOICES_INDEX_DDL } from '../../src/source/source-schema.ts';
import { openLake, type Lake } from '../../src/lake/open-lake.ts';
import { ColumnBuffer } from '../../src/lake/batch/column-buffer.ts';
import { writeDataFiles } from '../../src/lake/batch/data-file-writer.ts';
import type { DataFile } from '../../src/lake/iceberg/spec-types.ts';
import { LakeQuery } from '../../src/query/lake-query.ts';

/**
 * Rows per Parquet file: the daemon's default BATCH_MAX_ROWS, i.e. the files
 * a stream writes under load (a trickle writes smaller ones until compacted).
 * A month boundary inside a batch splits it, so a few files are smaller.
 */
export const LAKE_FILE_ROWS = 25_000;
/** Rows per lake commit: one snapshot per million rows, as a catching-up stream would commit. */
export const LAKE_COMMIT_ROWS = 1_000_000;
/** Rows per COPY statement (= transaction), as `populate` loads them. */
const COPY_CHUNK_ROWS = 1_000_000;
const MONTHS = 12;
const SEED = 4;
/** A fixed "now" off any month boundary, so "the last 3 months" cuts a partition in two, as it would in real life. */
const NOW = new Date('2026-11-18T12:00:00Z');
const GROUP_BY_RUNS = 5;
const LOOKUPS = 200;
const LOOKUP_WARMUP = 20;

export interface LakeQueriesResult {
  invoices: number;
  customers: number;
  /** PostgreSQL: COPY of the rows (generation included) with keys and indexes dropped. */
  pgCopyMs: number;
  /** PostgreSQL: primary key, indexes and foreign keys rebuilt, then VACUUM ANALYZE. */
  pgIndexAndAnalyzeMs: number;
  /** Index definitions PostgreSQL had for the queries. */
  pgIndexes: string[];
  /** Lake: Parquet files written and committed from the same rows (in-memory columns to committed snapshots). */
  lakeBuildMs: number;
  lakeCommits: number;
  lakeFiles: number;
  lakeBytes: number;
  /** Use case 2: per-issuer count and sum over the last 3 months; medians of warm runs. */
  groupByLakeMs: number;
  groupByPgMs: number;
  /** groupByPgMs / groupByLakeMs. */
  groupBySpeedup: number;
  groupByGroups: number;
  groupByRows: number;
  groupByLakeFilesRead: number;
  /** Use case 1: one invoice by id over a long-lived session. */
  lookupCount: number;
  lookupLakeP50Ms: number;
  lookupLakeP99Ms: number;
  lookupPgP50Ms: number;
  lookupPgP99Ms: number;
  lookupLakeFilesMax: number;
  lookupLakeFilesMean: number;
  lookupLakeManifestsReadMean: number;
}

/**
 * Workload 4: the same invoices in PostgreSQL and in the lake, then the two
 * use-case queries on both with warm caches. The lake is built directly
 * (not through replication): this measures queries, not ingest.
 */
export async function lakeQueries(options: { invoices: number; customers: number; log: (line: string) => void }): Promise<LakeQueriesResult> {
  const { invoices, customers, log } = options;
  const database = await startBenchDatabase(customers);
  const lakeRoot = await mkdtemp(join(tmpdir(), 'invoice-lake-bench-queries-'));
  const lake = await openLake({ lake: lakeRoot, catalog: 'filesystem', catalogUrl: undefined, catalogName: 'bench', catalogSchema: 'bench', namespace: 'lake' });
  let session: LakeQuery | undefined;
  try {
    const client = database.client;
    log(`lake queries: loading ${invoices.toLocaleString('en-US')} invoices into PostgreSQL ...`);
    let started = performance.now();
    const columns = await loadPostgres(client, invoices, customers);
    const pgCopyMs = performance.now() - started;

    log('lake queries: PostgreSQL keys and indexes, VACUUM ANALYZE (in the server) while the lake is built ...');
    started = performance.now();
    const indexing = restoreKeysAndAnalyze(client).then(() => performance.now() - started);
    indexing.catch(() => undefined);
    const lakeStarted = performance.now();
    const built = await buildLake(lake, columns);
    const lakeBuildMs = performance.now() - lakeStarted;
    const pgIndexAndAnalyzeMs = await indexing;
    const pgIndexes = (await client.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE tablename = 'invoices' ORDER BY indexname")).rows.map((row) => row.indexdef);
    log(`lake queries: PostgreSQL copy ${ms(pgCopyMs)}, keys + analyze ${ms(pgIndexAndAnalyzeMs)}; lake ${built.files} files in ${ms(lakeBuildMs)}`);

    session = await LakeQuery.open(lake);
    const groupBy = await measureGroupBy(session, client, log);
    const lookup = await measureLookups(session, client, columns, log);
    return {
      invoices,
      customers,
      pgCopyMs,
      pgIndexAndAnalyzeMs,
      pgIndexes,
      lakeBuildMs,
      lakeCommits: built.commits,
      lakeFiles: built.files,
      lakeBytes: built.bytes,
      ...groupBy,
      ...lookup,
    };
  } finally {
    session?.close();
    await lake.close();
    await database.stop();
    await rm(lakeRoot, { recursive: true, force: true });
  }
}

/**
 * COPY in chunks like `populate`, with the foreign keys, the primary key and
 * the secondary indexes dropped first: building them once afterwards is far
 * cheaper than maintaining them per row (and checking two foreign keys per row).
 */
async function loadPostgres(client: pg.Client, invoices: number, customers: number): Promise<InvoiceColumns> {
  await client.query('ALTER TABLE invoices DROP CONSTRAINT invoices_issuer_id_fkey, DROP CONSTRAINT invoices_receiver_id_fkey, DROP CONSTRAINT invoices_pkey');
  for (const index of INVOICES_INDEX_DDL) await client.query(`DROP INDEX ${index.name}`);
  const pool = await loadCustomerIdPool(client, customers);
  const columns = allocateInvoiceColumns(invoices, 1n);
  const lines = copyLinesRecording(columns, { seed: SEED, months: MONTHS, now: NOW, customers: pool });
  const sql = `COPY invoices (${INVOICE_COPY_COLUMNS.join(', ')}) FROM STDIN`;
  for (let loaded = 0; loaded < invoices; loaded += COPY_CHUNK_ROWS) await copyLines(client, sql, take(lines, Math.min(COPY_CHUNK_ROWS, invoices - loaded)));
  await advanceInvoiceIdSequence(client);
  return columns;
}

/** Back to the table a user has: primary key, the schema's indexes (issue_date, issuer_id), both foreign keys; then fresh statistics. */
async function restoreKeysAndAnalyze(client: pg.Client): Promise<void> {
  await client.query("SET maintenance_work_mem = '1GB'");
  await client.query('ALTER TABLE invoices ADD CONSTRAINT invoices_pkey PRIMARY KEY (invoice_id)');
  for (const index of INVOICES_INDEX_DDL) await client.query(index.sql);
  await client.query(
    `ALTER TABLE invoices ADD CONSTRAINT invoices_issuer_id_fkey FOREIGN KEY (issuer_id) REFERENCES customers (customer_id),
                          ADD CONSTRAINT invoices_receiver_id_fkey FOREIGN KEY (receiver_id) REFERENCES customers (customer_id)`,
  );
  await client.query('VACUUM ANALYZE invoices');
  await client.query('RESET maintenance_work_mem');
}

/** The lake's invoices table from the columns: files of LAKE_FILE_ROWS, a commit per LAKE_COMMIT_ROWS. */
async function buildLake(lake: Lake, columns: InvoiceColumns): Promise<{ commits: number; files: number; bytes: number }> {
  const table = lake.table('invoices');
  await table.ensureCreated();
  let loaded = await table.load();
  const buffer = new ColumnBuffer(table.definition);
  let pending: DataFile[] = [];
  let commits = 0;
  let files = 0;
  let bytes = 0;
  const commit = async (row: number) => {
    if (buffer.rowCount > 0) pending.push(...(await writeDataFiles(table, buffer)));
    if (pending.length === 0) return;
    loaded = (await table.append(loaded, pending, { 'invoice-lake.source-lsn': `0/${row.toString(16).toUpperCase()}` })).table;
    commits++;
    files += pending.length;
    bytes += pending.reduce((sum, file) => sum + Number(file.fileSizeInBytes), 0);
    pending = [];
  };
  for (let i = 0; i < columns.count; i++) {
    const issueMicros = BigInt(columns.issueMicros[i]!);
    // Unscored rows; committed_at stands in with the issue date.
    buffer.append([columns.firstId + BigInt(i), issueMicros, BigInt(columns.issuerId[i]!), BigInt(columns.receiverId[i]!), BigInt(columns.amountCents[i]!), null, null, 0n, issueMicros]);
    if (buffer.rowCount >= LAKE_FILE_ROWS) pending.push(...(await writeDataFiles(table, buffer)));
    if ((i + 1) % LAKE_COMMIT_ROWS === 0) await commit(i + 1);
  }
  await commit(columns.count);
  return { commits, files, bytes };
}

const CUTOFF = new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() - 3, NOW.getUTCDate(), NOW.getUTCHours()));
const CUTOFF_MICROS = BigInt(CUTOFF.getTime()) * 1000n;
/** The same text on both sides; TIMESTAMPTZ '…' is valid in PostgreSQL and DuckDB. */
const GROUP_BY_SQL = `SELECT issuer_id, count(*), sum(amount) FROM invoices WHERE issue_date >= TIMESTAMPTZ '${CUTOFF.toISOString().replace('T', ' ').replace('.000Z', '+00')}' GROUP BY issuer_id`;

async function measureGroupBy(session: LakeQuery, client: pg.Client, log: (line: string) => void) {
  let filesRead = 0;
  const lake = async () => {
    // Planning is part of the query: prune on the date, re-point the view, run.
    const pruned = await session.restrictView('invoices', [{ column: 'issue_date', op: 'gte', value: CUTOFF_MICROS }]);
    filesRead = pruned.counts.filesSelected;
    return (await session.run(GROUP_BY_SQL)).rows.map((row) => row.map(String));
  };
  const postgres = async () => (await client.query<string[]>({ text: GROUP_BY_SQL, rowMode: 'array' })).rows.map((row) => row.map(String));
  const lakeRuns = await timedRuns(lake);
  const pgRuns = await timedRuns(postgres);
  const lakeRows = sortRows(lakeRuns.result);
  const pgRows = sortRows(pgRuns.result);
  const mismatch = firstDifference(lakeRows, pgRows);
  if (mismatch) throw new Error(`lake queries: group-by results differ between the lake and PostgreSQL: ${mismatch}`);
  const groupByRows = pgRows.reduce((sum, row) => sum + Number(row[1]), 0);
  log(`lake queries: group-by lake ${ms(lakeRuns.medianMs)} (${filesRead} files), PostgreSQL ${ms(pgRuns.medianMs)}; ${pgRows.length} issuers, ${groupByRows} invoices, equal`);
  return {
    groupByLakeMs: lakeRuns.medianMs,
    groupByPgMs: pgRuns.medianMs,
    groupBySpeedup: pgRuns.medianMs / lakeRuns.medianMs,
    groupByGroups: pgRows.length,
    groupByRows,
    groupByLakeFilesRead: filesRead,
  };
}

/** One warm-up run, then the median of GROUP_BY_RUNS; the last run's rows for the equality check. */
async function timedRuns<T>(run: () => Promise<T>): Promise<{ medianMs: number; result: T }> {
  let result = await run();
  const times: number[] = [];
  for (let i = 0; i < GROUP_BY_RUNS; i++) {
    const started = performance.now();
    result = await run();
    times.push(performance.now() - started);
  }
  return { medianMs: quantile(times, 0.5), result };
}

/** One invoice by primary key; issue_date as µs since the epoch so both sides print it alike and exactly. */
const LAKE_LOOKUP_SQL = 'SELECT invoice_id, epoch_us(issue_date), issuer_id, receiver_id, amount FROM invoices WHERE invoice_id = $1';
const PG_LOOKUP_SQL = 'SELECT invoice_id, (extract(epoch FROM issue_date) * 1000000)::bigint, issuer_id, receiver_id, amount FROM invoices WHERE invoice_id = $1';

async function measureLookups(session: LakeQuery, client: pg.Client, columns: InvoiceColumns, log: (line: string) => void) {
  const rng = createRng(SEED + 1);
  const ids = Array.from({ length: LOOKUP_WARMUP + LOOKUPS }, () => columns.firstId + BigInt(rng.int(columns.count)));
  const lakeMs: number[] = [];
  const pgMs: number[] = [];
  const files: number[] = [];
  const manifests: number[] = [];
  for (const [n, id] of ids.entries()) {
    let started = performance.now();
    const pruned = await session.restrictView('invoices', [{ column: 'invoice_id', op: 'eq', value: id }]);
    const lakeRow = await session.run(LAKE_LOOKUP_SQL, [id]);
    const lakeElapsed = performance.now() - started;
    started = performance.now();
    const pgRow = await client.query({ text: PG_LOOKUP_SQL, values: [id.toString()], rowMode: 'array' });
    const pgElapsed = performance.now() - started;
    const lakeCells = lakeRow.rows[0]?.map(String).join('|');
    const pgCells = (pgRow.rows[0] as unknown[] | undefined)?.map(String).join('|');
    if (lakeCells === undefined || lakeCells !== pgCells) throw new Error(`lake queries: invoice ${id} differs: lake ${lakeCells}, PostgreSQL ${pgCells}`);
    if (n < LOOKUP_WARMUP) continue;
    lakeMs.push(lakeElapsed);
    pgMs.push(pgElapsed);
    files.push(pruned.counts.filesSelected);
    manifests.push(pruned.counts.manifestsRead);
  }
  const result = {
    lookupCount: LOOKUPS,
    lookupLakeP50Ms: quantile(lakeMs, 0.5),
    lookupLakeP99Ms: quantile(lakeMs, 0.99),
    lookupPgP50Ms: quantile(pgMs, 0.5),
    lookupPgP99Ms: quantile(pgMs, 0.99),
    lookupLakeFilesMax: Math.max(...files),
    lookupLakeFilesMean: files.reduce((sum, count) => sum + count, 0) / files.length,
    lookupLakeManifestsReadMean: manifests.reduce((sum, count) => sum + count, 0) / manifests.length,
  };
  log(
    `lake queries: lookup lake p50 ${ms(result.lookupLakeP50Ms)} p99 ${ms(result.lookupLakeP99Ms)} (files max ${result.lookupLakeFilesMax}), ` +
      `PostgreSQL p50 ${ms(result.lookupPgP50Ms)} p99 ${ms(result.lookupPgP99Ms)}`,
  );
  return result;
}

/** Nearest-rank quantile. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function sortRows(rows: string[][]): string[][] {
  return [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));
}

function firstDifference(lake: string[][], postgres: string[][]): string | undefined {
  if (lake.length !== postgres.length) return `${lake.length} groups in the lake, ${postgres.length} in PostgreSQL`;
  for (let i = 0; i < lake.length; i++) {
    if (lake[i]!.join('|') !== postgres[i]!.join('|')) return `lake ${lake[i]!.join(', ')} vs PostgreSQL ${postgres[i]!.join(', ')}`;
  }
  return undefined;
}

function ms(value: number): string {
  return `${value.toFixed(value < 100 ? 1 : 0)} ms`;
}
