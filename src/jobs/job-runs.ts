import type { TableDefinition } from '../lake/tables/table-definition.ts';

/** Every job run, successful or not: the job runner's own history, queryable like any lake table. */
export const JOB_RUNS_TABLE: TableDefinition = {
  name: 'job_runs',
  monthPartitionColumn: 'started_at',
  columns: [
    { fieldId: 1, name: 'job', type: { kind: 'string' }, doc: 'Job name (its file name without .sql)' },
    { fieldId: 2, name: 'trigger', type: { kind: 'string' }, doc: 'schedule, on-commit, manual or retry' },
    { fieldId: 3, name: 'attempt', type: { kind: 'long' }, doc: '1 for the first try, then each retry' },
    { fieldId: 4, name: 'input_table', type: { kind: 'string' }, doc: 'Input table of an on-commit job' },
    { fieldId: 5, name: 'input_snapshot', type: { kind: 'long' }, doc: 'Snapshot of the input table the run read up to' },
    { fieldId: 6, name: 'output_snapshot', type: { kind: 'long' }, doc: 'Snapshot the run committed to its output' },
    { fieldId: 7, name: 'rows_in', type: { kind: 'long' }, doc: 'Rows in the incremental input (on-commit jobs)' },
    { fieldId: 8, name: 'rows_out', type: { kind: 'long' }, doc: 'Rows written to the output' },
    { fieldId: 9, name: 'started_at', type: { kind: 'timestamptz' }, doc: 'When the run started' },
    { fieldId: 10, name: 'duration_ms', type: { kind: 'long' }, doc: 'Wall time of the run' },
    { fieldId: 11, name: 'status', type: { kind: 'string' }, doc: 'succeeded, skipped (nothing new), superseded (another run covered the same input first) or failed' },
    { fieldId: 12, name: 'error', type: { kind: 'string' }, doc: 'Why it failed or was superseded, else null' },
  ],
};

export interface JobRunRecord {
  job: string;
  trigger: 'schedule' | 'on-commit' | 'manual' | 'retry';
  attempt: number;
  inputTable: string | null;
  inputSnapshot: bigint | null;
  outputSnapshot: bigint | null;
  rowsIn: number | null;
  rowsOut: number;
  startedAtMicros: bigint;
  durationMs: number;
  status: 'succeeded' | 'skipped' | 'superseded' | 'failed';
  error: string | null;
}

export function jobRunRow(run: JobRunRecord): Array<bigint | number | string | null> {
  return [
    run.job,
    run.trigger,
    BigInt(run.attempt),
    run.inputTable,
    run.inputSnapshot,
    run.outputSnapshot,
    run.rowsIn === null ? null : BigInt(run.rowsIn),
    BigInt(run.rowsOut),
    run.startedAtMicros,
    BigInt(run.durationMs),
    run.status,
    run.error,
  ];
}
