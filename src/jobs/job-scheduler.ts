import type { Logger } from '../log/logger.ts';
import { firstRunDelayMs, nextRunDelayMs } from './job-definition.ts';
import { lastRunMs, runJobOnce, type JobRunContext, type LoadedJob } from './job-runner.ts';
import { messageOf } from '../errors/lake-error.ts';
import type { JobRunRecord } from './job-runs.ts';
import type { JobHistory } from './job-history.ts';

export interface SchedulerOptions {
  concurrency: number;
  /** Shortest time between two runs of one on-commit job. */
  minIntervalMs: number;
  /** The clock schedules are computed with (tests move it). */
  now?: () => Date;
}

export interface SchedulerEvents {
  onRun?(record: JobRunRecord): void;
  /** A scheduled job's next run was planned `delayMs` from now. */
  onScheduled?(job: string, delayMs: number): void;
}

type Trigger = JobRunRecord['trigger'];

/** Retries after a failure: 2 s, 4 s, 8 s, 16 s; then the job waits for its next trigger. */
const MAX_ATTEMPTS = 5;
const FIRST_RETRY_MS = 2000;

/**
 * stop() returns within this time, whatever the jobs do: runs are
 * interrupted at once (a DuckDB statement ends within milliseconds) and
 * waited for up to STOP_RUNS_MS, then their records are committed to
 * job_runs in what is left. A run still busy outside DuckDB after that (a
 * slow upload) is left to end on its own: its output commit is atomic.
 */
export const STOP_TIMEOUT_MS = 5000;
const STOP_RUNS_MS = 3000;

/**
 * Runs the jobs beside the stream: scheduled ones on their interval or cron
 * expression, on-commit ones after lake commits of their input. A job never
 * runs twice at once; triggers that arrive while it runs (or waits) coalesce
 * into one more run. At most `concurrency` jobs run at a time, each in its
 * own DuckDB session, and a failure is retried with backoff and recorded —
 * it never reaches the stream. A run past its timeout is interrupted and
 * recorded as failed; stop() interrupts the runs in progress and returns
 * within STOP_TIMEOUT_MS.
 */
export class JobScheduler {
  readonly #jobs: Map<string, LoadedJob>;
  readonly #context: JobRunContext;
  readonly #history: JobHistory;
  readonly #logger: Logger;
  readonly #options: SchedulerOptions;
  readonly #events: SchedulerEvents;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #waiting: Array<{ job: LoadedJob; trigger: Trigger; attempt: number }> = [];
  readonly #queuedOrRunning = new Set<string>();
  readonly #again = new Map<string, Trigger>();
  readonly #lastStarted = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();
  /** Aborted by stop(): interrupts the runs in progress and the waits before runs. */
  readonly #stopping = new AbortController();
  #stopped = false;

  constructor(
    deps: { jobs: LoadedJob[]; context: JobRunContext; history: JobHistory; logger: Logger; events?: SchedulerEvents },
    options: SchedulerOptions,
  ) {
    this.#jobs = new Map(deps.jobs.map((job) => [job.name, job]));
    this.#context = deps.context;
    this.#history = deps.history;
    this.#logger = deps.logger;
    this.#events = deps.events ?? {};
    this.#options = options;
  }

  /**
   * Starts the timers. On-commit jobs run once now to catch up with commits
   * made while the daemon was down; scheduled ones run when their schedule
   * says counting from their last run, at once if a run was missed.
   */
  start(): void {
    for (const job of this.#jobs.values()) {
      if (job.schedule.kind === 'on-commit') this.trigger(job.name, 'on-commit');
      else void this.#scheduleFirst(job);
    }
  }

  /** Lake commits landed on these tables. */
  notifyCommit(tables: Iterable<string>): void {
    const changed = new Set(tables);
    for (const job of this.#jobs.values()) {
      if (job.schedule.kind === 'on-commit' && changed.has(job.schedule.table)) this.trigger(job.name, 'on-commit');
    }
  }

  trigger(name: string, trigger: Trigger, attempt = 1): void {
    const job = this.#jobs.get(name);
    if (!job || this.#stopped) return;
    if (this.#queuedOrRunning.has(name)) {
      if (attempt === 1) this.#again.set(name, trigger);
      return;
    }
    this.#queuedOrRunning.add(name);
    this.#waiting.push({ job, trigger, attempt });
    this.#pump();
  }

  /** Resolves when no job is waiting or running. */
  async idle(): Promise<void> {
    while (this.#running.size > 0 || this.#waiting.length > 0) await Promise.race([...this.#running, delay(50)]);
  }

  /**
   * Stops triggering and interrupts the runs in progress (recorded as
   * failed, "cancelled: the job scheduler is stopping"); waits for them and
   * commits their records, returning within STOP_TIMEOUT_MS in any case.
   */
  async stop(): Promise<void> {
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#waiting.length = 0;
    this.#stopping.abort();
    if (!(await settlesWithin(Promise.allSettled([...this.#running]), STOP_RUNS_MS))) {
      this.#logger.warn({ runs: this.#running.size, waitedMs: STOP_RUNS_MS }, 'job runs did not end after being interrupted; not waiting for them');
    }
    if (!(await settlesWithin(this.#history.flush(), deadline - Date.now()))) {
      this.#logger.warn({ waitedMs: STOP_TIMEOUT_MS }, 'could not record the last job runs in time; stopping without them');
    }
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#options.concurrency && this.#waiting.length > 0) {
      const next = this.#waiting.shift()!;
      const wait = next.job.schedule.kind === 'on-commit' ? (this.#lastStarted.get(next.job.name) ?? -Infinity) + this.#options.minIntervalMs - Date.now() : 0;
      const running = (async () => {
        if (wait > 0) await delay(wait, this.#stopping.signal);
        if (this.#stopped) return;
        await this.#run(next.job, next.trigger, next.attempt);
      })().finally(() => {
        this.#running.delete(running);
        this.#queuedOrRunning.delete(next.job.name);
        const again = this.#again.get(next.job.name);
        this.#again.delete(next.job.name);
        if (again) this.trigger(next.job.name, again);
        this.#pump();
      });
      this.#running.add(running);
    }
  }

  async #run(job: LoadedJob, trigger: Trigger, attempt: number): Promise<void> {
    this.#lastStarted.set(job.name, Date.now());
    const record = await runJobOnce(job, this.#context, { trigger, attempt }, { signal: this.#stopping.signal });
    this.#events.onRun?.(record);
    if (record.status !== 'skipped') this.#history.record(record);
    if (record.status === 'failed' && this.#stopped) {
      this.#logger.info({ job: job.name, err: record.error }, 'job run ended by stop');
    } else if (record.status === 'failed') {
      const retry = attempt < MAX_ATTEMPTS;
      const backoffMs = FIRST_RETRY_MS * 2 ** (attempt - 1);
      this.#logger.warn({ job: job.name, attempt, err: record.error, ...(retry ? { retryInMs: backoffMs } : {}) }, retry ? 'job failed; retrying' : 'job failed; waiting for its next trigger');
      if (retry) this.#after(backoffMs, () => this.trigger(job.name, 'retry', attempt + 1));
    } else if (record.status === 'superseded') {
      // Another process ran the job on the same input first; a run now starts from what it committed.
      this.#logger.info({ job: job.name, reason: record.error }, 'job run superseded');
      this.trigger(job.name, trigger === 'retry' ? 'on-commit' : trigger);
    } else if (record.status === 'succeeded') {
      this.#logger.info({ job: job.name, trigger, rowsIn: record.rowsIn ?? undefined, rowsOut: record.rowsOut, ms: record.durationMs }, 'job ran');
    }
  }

  async #scheduleFirst(job: LoadedJob): Promise<void> {
    let last: number | undefined;
    try {
      last = await lastRunMs(job, this.#context);
    } catch (error) {
      // Without its history the job keeps its plain schedule from now; the run itself will report the problem.
      this.#logger.warn({ job: job.name, err: messageOf(error) }, 'could not read when the job last ran');
      this.#scheduleNext(job);
      return;
    }
    if (this.#stopped) return;
    const wait = firstRunDelayMs(job.schedule, last, this.#now());
    if (wait !== undefined) this.#scheduleNext(job, wait);
  }

  #scheduleNext(job: LoadedJob, firstWait?: number): void {
    const wait = firstWait ?? nextRunDelayMs(job.schedule, this.#now());
    if (wait === undefined) return;
    this.#logger.debug({ job: job.name, inMs: wait }, 'job run planned');
    this.#events.onScheduled?.(job.name, wait);
    this.#after(wait, () => {
      this.trigger(job.name, 'schedule');
      this.#scheduleNext(job);
    });
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  #after(ms: number, action: () => void): void {
    // Long timers are chained: setTimeout overflows past 2^31 ms.
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopped) action();
    }, Math.min(ms, 2 ** 31 - 1));
    timer.unref();
    this.#timers.add(timer);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', done);
      resolve();
    }, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** true when `promise` settles within `ms`; it is not cancelled otherwise. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
