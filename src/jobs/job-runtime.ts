import type { Lake } from '../lake/open-lake.ts';
import type { Logger } from '../log/logger.ts';
import { LakeQuery } from '../query/lake-query.ts';
import type { SourceDefinition } from '../query/sources/source-config.ts';
import { loadJobs, type JobSet } from './job-loader.ts';
import type { JobRunContext } from './job-runner.ts';
import { JobHistory } from './job-history.ts';
import { JobScheduler, type SchedulerEvents, type SchedulerOptions } from './job-scheduler.ts';
import { DEFAULT_JOB_LIMITS, type JobLimits } from './job-limits.ts';

export interface JobRuntime {
  set: JobSet;
  context: JobRunContext;
  history: JobHistory;
}

/**
 * How job runs open their DuckDB sessions: every lake table and source as a
 * view, files limited to those and the run's scratch directory, and the
 * run's memory limit (see LakeQuery.open). `limits` apply to jobs whose
 * header sets none.
 */
export function jobRunContext(lake: Lake, options: { sources: readonly SourceDefinition[]; limits?: JobLimits }): JobRunContext {
  return {
    lake,
    limits: options.limits ?? DEFAULT_JOB_LIMITS,
    openSession: (session = {}) =>
      LakeQuery.open(lake, {
        sources: options.sources,
        memoryLimit: `${session.memoryLimitMb ?? (options.limits ?? DEFAULT_JOB_LIMITS).memoryLimitMb}MB`,
        scratchDirectories: session.scratchDirectories,
      }),
  };
}

/** Loads the jobs directory against the lake; rejected jobs are logged with their reason, the others run. */
export async function openJobs(
  deps: { lake: Lake; logger: Logger },
  options: { directory: string; sources: readonly SourceDefinition[]; limits?: JobLimits },
): Promise<JobRuntime> {
  const context = jobRunContext(deps.lake, options);
  const directory = options.directory;
  const set = await loadJobs(directory, deps.lake, () => context.openSession());
  for (const rejected of set.rejected) deps.logger.error({ reason: rejected.message }, 'job disabled');
  if (set.jobs.length > 0) deps.logger.info({ jobs: set.jobs.map((job) => `${job.name} (${job.schedule.text})`) }, 'jobs loaded');
  return { set, context, history: new JobHistory(deps.lake, deps.logger) };
}

export function startScheduler(runtime: JobRuntime, logger: Logger, options: SchedulerOptions, events?: SchedulerEvents): JobScheduler {
  const scheduler = new JobScheduler({ jobs: runtime.set.jobs, context: runtime.context, history: runtime.history, logger, events }, options);
  scheduler.start();
  return scheduler;
}
