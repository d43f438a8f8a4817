import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Lake } from '../lake/open-lake.ts';
import { LakeTable, type CommitValidation } from '../lake/lake-table.ts';
import type { TableDefinition } from '../lake/tables/table-definition.ts';
import type { DataFile } from '../lake/iceberg/spec-types.ts';
import { parseTableMetadata } from '../lake/iceberg/table-metadata-json.ts';
import type { LakeQuery } from '../query/lake-query.ts';
import { messageOf } from '../errors/lake-error.ts';
import { failpoint } from '../lake/failpoints.ts';
import type { JobDefinition } from './job-definition.ts';
import { filesAddedAfter, scanTable } from './incremental-scan.ts';
import type { JobRunRecord } from './job-runs.ts';
import { writeResultFiles } from './result-files.ts';
import { createProcessTempDir } from '../runtime/process-temp-dir.ts';
import { DEFAULT_JOB_LIMITS, effectiveLimits, type JobLimits } from './job-limits.ts';
import { RunDeadline } from './run-deadline.ts';
import { inputFence, inputSequenceKey, processedInputSequence, SupersededRun } from './output-fence.ts';

/** A job whose SQL DuckDB prepared, with the output table its result defines. */
export interface LoadedJob extends JobDefinition {
  outputTable: TableDefinition;
}

/** What a run asks of its session beyond the views. */
export interface JobSessionOptions {
  /** DuckDB memory limit of the run (default: the context's limits). */
  memoryLimitMb?: number;
  /** Directories the session may write: the run's scratch directory for its result files. */
  scratchDirectories?: readonly string[];
}

export interface JobRunContext {
  lake: Lake;
  /**
   * A DuckDB session with every lake table (and every configured source) as
   * a view, reading no other file (see jobRunContext in job-runtime.ts).
   */
  openSession(options?: JobSessionOptions): Promise<LakeQuery>;
  /** Timeout and memory of runs whose job header sets none (default: the settings' defaults). */
  limits?: JobLimits;
}

/** How the caller can end a run early. */
export interface JobRunOptions {
  /** Aborted when the scheduler stops: the run's DuckDB statement is interrupted and the run recorded as cancelled. */
  signal?: AbortSignal;
}

export const JOB_KEY = 'invoice-lake.job';
/** Output summary keys: the input snapshot (and its sequence number) an on-commit run read up to. */
export const inputSnapshotKey = (table: string) => `invoice-lake.input-snapshot.${table}`;
export { inputSequenceKey };

/** The view name under which an on-commit job sees only the rows its input gained. */
export const deltaViewName = (table: string) => `${table}_delta`;

/** When the job last committed its output (the time of that snapshot), or undefined if it never did. */
export async function lastRunMs(job: LoadedJob, context: JobRunContext): Promise<number | undefined> {
  const location = await context.lake.catalog.currentMetadataLocation({ namespace: context.lake.namespace, name: job.outputTable.name });
  if (!location) return undefined;
  const metadata = parseTableMetadata((await context.lake.storage.read(context.lake.storage.relativePath(location) ?? location)).toString('utf8'));
  const times = metadata.snapshots.filter((snapshot) => snapshot.summary[JOB_KEY] === job.name).map((snapshot) => snapshot.timestampMs);
  return times.length > 0 ? Math.max(...times) : undefined;
}

/**
 * Runs a job once: its SQL over the lake, the result committed to its output
 * table in one snapshot (append, replace, or replace of the partitions the
 * result holds).
 *
 * An on-commit job reads its input table's current snapshot once, and sees
 * `<table>_delta`: the files added since the input snapshot recorded in the
 * output's last commit. The new input snapshot is recorded in the same
 * output commit, so after a crash the delta is neither processed twice nor
 * skipped: either the commit landed (and names the new snapshot) or it did
 * not (and the next run reads the same delta again). Two runs racing on the
 * same delta are fenced (output-fence.ts): the one committing second finds
 * the delta covered, commits nothing and is recorded as superseded.
 *
 * A run is bounded (job-limits.ts): its session reads only the lake, the
 * sources and its scratch directory, within its memory limit; at its
 * timeout, or when `options.signal` aborts, its DuckDB statement is
 * interrupted and the run recorded as failed with the reason.
 */
export async function runJobOnce(
  job: LoadedJob,
  context: JobRunContext,
  run: Pick<JobRunRecord, 'trigger' | 'attempt'>,
  options: JobRunOptions = {},
): Promise<JobRunRecord> {
  const started = performance.now();
  const record: JobRunRecord = {
    job: job.name,
    ...run,
    inputTable: job.schedule.kind === 'on-commit' ? job.schedule.table : null,
    inputSnapshot: null,
    outputSnapshot: null,
    rowsIn: null,
    rowsOut: 0,
    startedAtMicros: BigInt(Date.now()) * 1000n,
    durationMs: 0,
    status: 'succeeded',
    error: null,
  };
  const limits = effectiveLimits(job.limits ?? {}, context.limits ?? DEFAULT_JOB_LIMITS);
  const deadline = new RunDeadline(limits.timeoutMs, options.signal);
  // The only directory the run's DuckDB may write: its result files, before they are uploaded into the lake.
  const scratch = await createProcessTempDir(tmpdir(), 'invoice-lake-job-');
  let session: LakeQuery | undefined;
  try {
    session = await context.openSession({ memoryLimitMb: limits.memoryLimitMb, scratchDirectories: [scratch] });
    deadline.attach(session);
    const output = new LakeTable({ storage: context.lake.storage, catalog: context.lake.catalog }, { namespace: context.lake.namespace, definition: job.outputTable });
    await output.ensureCreated();
    const base = await output.load();
    const summary: Record<string, string> = { [JOB_KEY]: job.name };
    let fence: CommitValidation = {};

    if (job.schedule.kind === 'on-commit') {
      const input = job.schedule.table;
      const location = await context.lake.catalog.currentMetadataLocation({ namespace: context.lake.namespace, name: input });
      if (!location) throw new Error(`input table ${input} does not exist yet`);
      const scan = await scanTable(context.lake.storage, location);
      const processed = processedInputSequence(base, input);
      fence = inputFence(input, processed);
      record.inputSnapshot = scan.snapshotId;
      if (scan.sequenceNumber <= processed) {
        record.status = 'skipped';
        record.rowsIn = 0;
        return finish(record, started);
      }
      const delta = filesAddedAfter(scan, processed);
      record.rowsIn = Number(delta.reduce((sum, file) => sum + file.recordCount, 0n));
      // The full view and the delta from the same snapshot: a commit landing meanwhile is the next run's delta.
      await session.createView(input, scan.schema, scan.files.map((file) => file.dataFile));
      await session.createView(deltaViewName(input), scan.schema, delta);
      summary[inputSnapshotKey(input)] = String(scan.snapshotId);
      summary[inputSequenceKey(input)] = String(scan.sequenceNumber);
    }

    await checkResultColumns(job, session);
    const { files, rowCount } = await writeResultFiles(session, job.sql, output, scratch);
    record.rowsOut = rowCount;

    // Past this point the run is not cancelled: a commit that lands is a run that happened.
    deadline.throwIfCancelled();
    failpoint('before-job-commit');
    let committed: bigint;
    try {
      committed = await commitOutput(job, output, base, files, summary, fence);
    } catch (error) {
      if (!(error instanceof SupersededRun)) throw error;
      record.status = 'superseded';
      record.rowsOut = 0;
      record.error = error.message;
      await removeFiles(context.lake, files);
      return finish(record, started);
    }
    failpoint('after-job-commit');
    record.outputSnapshot = committed;
    return finish(record, started);
  } catch (error) {
    record.status = 'failed';
    record.error = deadline.reason ?? messageOf(error);
    return finish(record, started);
  } finally {
    deadline.dispose();
    session?.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function commitOutput(
  job: LoadedJob,
  output: LakeTable,
  base: Awaited<ReturnType<LakeTable['load']>>,
  files: DataFile[],
  summary: Record<string, string>,
  fence: CommitValidation,
): Promise<bigint> {
  switch (job.mode) {
    case 'append':
      return (await output.append(base, files, summary, fence)).result.snapshotId;
    case 'replace':
      return (await output.overwrite(base, files, () => true, summary, fence)).result.snapshotId;
    case 'replace-partitions': {
      const months = new Set(files.map((file) => file.partition[0]));
      return (await output.overwrite(base, files, (file) => months.has(file.partition[0]), summary, fence)).result.snapshotId;
    }
  }
}

/** Data files of a commit that was given up: no snapshot names them. Best effort; an orphan left behind is only space. */
async function removeFiles(lake: Lake, files: readonly DataFile[]): Promise<void> {
  for (const file of files) await lake.storage.delete(lake.storage.relativePath(file.filePath) ?? file.filePath).catch(() => undefined);
}

/** The result must still have the columns the output table was created with (sources or lake tables may have changed). */
async function checkResultColumns(job: LoadedJob, session: LakeQuery): Promise<void> {
  const columns = await session.describe(job.sql);
  const actual = columns.map((column) => column.name).join(', ');
  const expected = job.outputTable.columns.map((column) => column.name).join(', ');
  if (actual !== expected) throw new Error(`the SQL now returns columns (${actual}), the output table has (${expected})`);
}

function finish(record: JobRunRecord, started: number): JobRunRecord {
  record.durationMs = Math.round(performance.now() - started);
  return record;
}
