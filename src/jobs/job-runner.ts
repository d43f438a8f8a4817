import type { Lake } from '../lake/open-lake.ts';
import { LakeTable, ancestorSummaryValue } from '../lake/lake-table.ts';
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

/** A job whose SQL DuckDB prepared, with the output table its result defines. */
export interface LoadedJob extends JobDefinition {
  outputTable: TableDefinition;
}

export interface JobRunContext {
  lake: Lake;
  /** A DuckDB session with every lake table (and every configured source) as a view. */
  openSession(): Promise<LakeQuery>;
}

export const JOB_KEY = 'invoice-lake.job';
/** Output summary keys: the input snapshot (and its sequence number) an on-commit run read up to. */
export const inputSnapshotKey = (table: string) => `invoice-lake.input-snapshot.${table}`;
export const inputSequenceKey = (table: string) => `invoice-lake.input-sequence.${table}`;

/** The view name under which an on-commit job sees only the rows its input gained. */
export const deltaViewName = (table: string) => `${table}_delta`;

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
 * not (and the next run reads the same delta again).
 */
/** When the job last committed its output (the time of that snapshot), or undefined if it never did. */
export async function lastRunMs(job: LoadedJob, context: JobRunContext): Promise<number | undefined> {
  const location = await context.lake.catalog.currentMetadataLocation({ namespace: context.lake.namespace, name: job.outputTable.name });
  if (!location) return undefined;
  const metadata = parseTableMetadata((await context.lake.storage.read(context.lake.storage.relativePath(location) ?? location)).toString('utf8'));
  const times = metadata.snapshots.filter((snapshot) => snapshot.summary[JOB_KEY] === job.name).map((snapshot) => snapshot.timestampMs);
  return times.length > 0 ? Math.max(...times) : undefined;
}

export async function runJobOnce(job: LoadedJob, context: JobRunContext, run: Pick<JobRunRecord, 'trigger' | 'attempt'>): Promise<JobRunRecord> {
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
  const session = await context.openSession();
  try {
    const output = new LakeTable({ storage: context.lake.storage, catalog: context.lake.catalog }, { namespace: context.lake.namespace, definition: job.outputTable });
    await output.ensureCreated();
    const base = await output.load();
    const summary: Record<string, string> = { [JOB_KEY]: job.name };

    if (job.schedule.kind === 'on-commit') {
      const input = job.schedule.table;
      const location = await context.lake.catalog.currentMetadataLocation({ namespace: context.lake.namespace, name: input });
      if (!location) throw new Error(`input table ${input} does not exist yet`);
      const scan = await scanTable(context.lake.storage, location);
      const processed = BigInt(ancestorSummaryValue(base.metadata, inputSequenceKey(input)) ?? '0');
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
    const { files, rowCount } = await writeResultFiles(session, job.sql, output);
    record.rowsOut = rowCount;

    failpoint('before-job-commit');
    const committed = await commitOutput(job, output, base, files, summary);
    failpoint('after-job-commit');
    record.outputSnapshot = committed;
    return finish(record, started);
  } catch (error) {
    record.status = 'failed';
    record.error = messageOf(error);
    return finish(record, started);
  } finally {
    session.close();
  }
}

async function commitOutput(job: LoadedJob, output: LakeTable, base: Awaited<ReturnType<LakeTable['load']>>, files: DataFile[], summary: Record<string, string>): Promise<bigint> {
  switch (job.mode) {
    case 'append':
      return (await output.append(base, files, summary)).result.snapshotId;
    case 'replace':
      return (await output.overwrite(base, files, () => true, summary)).result.snapshotId;
    case 'replace-partitions': {
      const months = new Set(files.map((file) => file.partition[0]));
      return (await output.overwrite(base, files, (file) => months.has(file.partition[0]), summary)).result.snapshotId;
    }
  }
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
