import type { Lake } from '../lake/open-lake.ts';
import type { Logger } from '../log/logger.ts';
import { LakeQuery } from '../query/lake-query.ts';
import type { SourceDefinition } from '../query/sources/source-config.ts';
import { loadJobs, type JobSet } from './job-loader.ts';
import type { JobRunContext } from './job-runner.ts';
import { JobHistory } from './job-history.ts';
import { JobScheduler, type SchedulerEvents, type SchedulerOptions } from './job-scheduler.ts';

/**
 * DuckDB memory of one job run. Jobs run beside the stream, so they must not
 * take the machine's memory (DuckDB's default is 80% of it); beyond this,
 * DuckDB spills to the temp directory. Enriching 1M invoices took 4.0 s either
 * way, at 440 MB peak RSS with this limit, 730 MB with 512 MB, 770 MB without.
 */
export const JOB_MEMORY_LIMIT = '256MB';

export interface JobRuntime {
  set: JobSet;
  context: JobRunContext;
  history: JobHistory;
}

/** Loads the jobs directory against the lake; rejected jobs are logged with their reason, the others run. */
export async function openJobs(
  deps: { lake: Lake; logger: Logger },
  options: { directory: string; sources: readonly SourceDefinition[] },
): Promise<JobRuntime> {
  const context: JobRunContext = { lake: deps.lake, openSession: () => LakeQuery.open(deps.lake, { sources: options.sources, memoryLimit: JOB_MEMORY_LIMIT }) };
  const directory = options.directory;
  const set = await loadJobs(directory, deps.lake, context.openSession);
  for (const rejected of set.rejected) deps.logger.error({ reason: rejected.message }, 'job disabled');
  if (set.jobs.length > 0) deps.logger.info({ jobs: set.jobs.map((job) => `${job.name} (${job.schedule.text})`) }, 'jobs loaded');
  return { set, context, history: new JobHistory(deps.lake, deps.logger) };
}

export function startScheduler(runtime: JobRuntime, logger: Logger, options: SchedulerOptions, events?: SchedulerEvents): JobScheduler {
  const scheduler = new JobScheduler({ jobs: runtime.set.jobs, context: runtime.context, history: runtime.history, logger, events }, options);
  scheduler.start();
  return scheduler;
}
