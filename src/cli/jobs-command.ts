import { resolve } from 'node:path';
import type { Settings } from '../config/settings.ts';
import { LakeError } from '../errors/lake-error.ts';
import { openLake, type Lake } from '../lake/open-lake.ts';
import { LakeQuery } from '../query/lake-query.ts';
import { formatResult, type Cell, type OutputFormat } from '../query/result-format.ts';
import { loadSources } from '../query/sources/source-config.ts';
import { loadJobs, type JobSet } from '../jobs/job-loader.ts';
import { runJobOnce, type JobRunContext } from '../jobs/job-runner.ts';
import { JobHistory } from '../jobs/job-history.ts';
import { jobRunContext } from '../jobs/job-runtime.ts';
import { jobLimits } from '../jobs/job-limits.ts';
import { JOB_RUNS_TABLE, type JobRunRecord } from '../jobs/job-runs.ts';
import { createLogger } from '../log/logger.ts';
import { lakeSettings } from './lake-settings.ts';

export type JobsFormat = 'table' | 'json';

interface JobsCommandDeps {
  write: (text: string) => void;
  /** Where rejected jobs are reported (stderr). */
  warn: (text: string) => void;
}

/**
 * `invoice-lake jobs list`: every job file, loaded and checked against the
 * lake as the daemon would. Exits 2 when a job is rejected, so it can gate a
 * deployment.
 */
export async function jobsListCommand(settings: Settings, format: JobsFormat, deps: JobsCommandDeps): Promise<void> {
  await withJobs(settings, async ({ set }) => {
    const columns = ['job', 'schedule', 'output', 'mode', 'partition', 'description'];
    const rows: Cell[][] = set.jobs.map((job) => [job.name, job.schedule.text, job.output, job.mode, job.partitionColumn ? `month(${job.partitionColumn})` : '', job.description]);
    if (format === 'json') {
      const report = {
        jobs: rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i]]))),
        rejected: set.rejected.map((rejected) => ({ file: rejected.file, reason: rejected.message })),
      };
      deps.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      deps.write(rows.length > 0 ? formatResult(columns, rows, 'table') : `no jobs in ${jobsDirectory(settings)}\n`);
    }
    for (const rejected of set.rejected) deps.warn(`disabled: ${rejected.message}`);
    if (set.rejected.length > 0) throw new LakeError('config', `${set.rejected.length} job file(s) rejected; see above`);
  });
}

/**
 * `invoice-lake jobs run NAME`: one run now, as the daemon would run it
 * (an on-commit job processes the delta since its last run), with the same
 * limits (timeout, memory, files), recorded in job_runs. Exits 1 when the
 * run fails.
 */
export async function jobsRunCommand(settings: Settings, name: string, format: JobsFormat, deps: JobsCommandDeps): Promise<JobRunRecord> {
  return withJobs(settings, async ({ lake, set, context }) => {
    const job = set.jobs.find((candidate) => candidate.name === name);
    if (!job) {
      const rejected = set.rejected.find((candidate) => candidate.file.endsWith(`/${name}.sql`));
      if (rejected) throw new LakeError('config', `job ${name} is disabled: ${rejected.message}`);
      throw new LakeError('config', `no job named ${name} in ${jobsDirectory(settings)} (jobs: ${set.jobs.map((candidate) => candidate.name).join(', ') || 'none'})`);
    }
    const record = await runJobOnce(job, context, { trigger: 'manual', attempt: 1 });
    if (record.status !== 'skipped') {
      const history = new JobHistory(lake, createLogger('warn'));
      history.record(record);
      await history.flush();
    }
    if (format === 'json') deps.write(`${JSON.stringify(recordJson(record), null, 2)}\n`);
    if (record.status === 'failed') throw new Error(`job ${name} failed after ${record.durationMs} ms: ${record.error}`);
    if (format === 'table') deps.write(describeRun(record));
    return record;
  });
}

/** Runs every loaded job once, one after the other, recording each run (the demo's final catch-up). */
export async function runAllJobsOnce(settings: Settings): Promise<{ records: JobRunRecord[]; outputs: Map<string, string> }> {
  return withJobs(settings, async ({ lake, set, context }) => {
    const history = new JobHistory(lake, createLogger('warn'));
    const records: JobRunRecord[] = [];
    for (const job of set.jobs) {
      const record = await runJobOnce(job, context, { trigger: 'manual', attempt: 1 });
      if (record.status !== 'skipped') history.record(record);
      records.push(record);
    }
    await history.flush();
    return { records, outputs: new Map(set.jobs.map((job) => [job.name, job.output])) };
  });
}

/** `invoice-lake jobs history [NAME]`: the latest runs from the job_runs lake table, newest first. */
export async function jobsHistoryCommand(settings: Settings, name: string | undefined, options: { limit: number; format: OutputFormat }, deps: JobsCommandDeps): Promise<void> {
  const lake = await openLake(lakeSettings(settings));
  try {
    const session = await LakeQuery.open(lake);
    try {
      if (!session.views.some((view) => view.name === JOB_RUNS_TABLE.name)) {
        deps.write(options.format === 'table' ? 'no job has run yet (the job_runs table does not exist)\n' : formatResult([], [], options.format));
        return;
      }
      const result = await session.run(
        `SELECT job, trigger, attempt, strftime(started_at, '%Y-%m-%d %H:%M:%S') AS started_at, duration_ms, status, rows_in, rows_out,
                input_table, input_snapshot::VARCHAR AS input_snapshot, output_snapshot::VARCHAR AS output_snapshot, error
           FROM ${JOB_RUNS_TABLE.name}
          WHERE $1::VARCHAR IS NULL OR job = $1::VARCHAR
          ORDER BY ${JOB_RUNS_TABLE.name}.started_at DESC, job
          LIMIT $2`,
        [name ?? null, options.limit],
      );
      deps.write(formatResult(result.columns, result.rows, options.format));
    } finally {
      session.close();
    }
  } finally {
    await lake.close();
  }
}

function jobsDirectory(settings: Settings): string {
  return resolve(settings.jobsDir ?? './jobs');
}

async function withJobs<T>(settings: Settings, action: (loaded: { lake: Lake; set: JobSet; context: JobRunContext }) => Promise<T>): Promise<T> {
  const sources = await loadSources(settings);
  const lake = await openLake(lakeSettings(settings));
  try {
    // Runs here have the daemon's limits: JOB_TIMEOUT_MS and JOB_MEMORY_LIMIT_MB, or the job's header.
    const context = jobRunContext(lake, { sources, limits: jobLimits(settings) });
    const set = await loadJobs(jobsDirectory(settings), lake, () => context.openSession());
    return await action({ lake, set, context });
  } finally {
    await lake.close();
  }
}

function recordJson(record: JobRunRecord): Record<string, unknown> {
  return JSON.parse(JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))) as Record<string, unknown>;
}

export function describeRun(record: JobRunRecord): string {
  switch (record.status) {
    case 'skipped':
      return `${record.job}: skipped, ${record.inputTable} has no rows the job has not processed (snapshot ${record.inputSnapshot})\n`;
    case 'failed':
      return `${record.job}: failed after ${record.durationMs} ms: ${record.error}\n`;
    case 'superseded':
      return `${record.job}: superseded, ${record.error}\n`;
    case 'succeeded': {
      const input = record.inputTable ? `${record.rowsIn} new row(s) of ${record.inputTable} (up to snapshot ${record.inputSnapshot}) → ` : '';
      return `${record.job}: ${input}${record.rowsOut} row(s) written in ${record.durationMs} ms, output snapshot ${record.outputSnapshot}\n`;
    }
  }
}
