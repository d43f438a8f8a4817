import type { Lake } from '../lake/open-lake.ts';
import { LakeTable } from '../lake/lake-table.ts';
import { ColumnBuffer } from '../lake/batch/column-buffer.ts';
import { writeDataFiles } from '../lake/batch/data-file-writer.ts';
import type { Logger } from '../log/logger.ts';
import { messageOf } from '../errors/lake-error.ts';
import { JOB_RUNS_TABLE, jobRunRow, type JobRunRecord } from './job-runs.ts';

/** Records are committed together at most this often, so frequent on-commit runs do not make a snapshot each. */
const FLUSH_INTERVAL_MS = 5000;

/** Appends job runs to the `job_runs` lake table, batched. */
export class JobHistory {
  readonly #table: LakeTable;
  readonly #logger: Logger;
  #pending: JobRunRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(lake: Lake, logger: Logger) {
    this.#table = new LakeTable({ storage: lake.storage, catalog: lake.catalog }, { namespace: lake.namespace, definition: JOB_RUNS_TABLE });
    this.#logger = logger;
  }

  record(run: JobRunRecord): void {
    this.#pending.push(run);
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Commits the records so far (a failure is logged; the records are kept for the next try). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushing = this.#flushing.then(async () => {
      const runs = this.#pending;
      if (runs.length === 0) return;
      this.#pending = [];
      try {
        await this.#table.ensureCreated();
        const buffer = new ColumnBuffer(JOB_RUNS_TABLE);
        for (const run of runs) buffer.append(jobRunRow(run));
        await this.#table.append(await this.#table.load(), await writeDataFiles(this.#table, buffer), {});
      } catch (error) {
        this.#pending.unshift(...runs);
        this.#logger.warn({ err: messageOf(error), runs: runs.length }, 'could not record job runs; will retry');
      }
    });
    return this.#flushing;
  }
}
