import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLake, type Lake } from '../../src/lake/open-lake.ts';
import { ColumnBuffer } from '../../src/lake/batch/column-buffer.ts';
import { writeDataFiles } from '../../src/lake/batch/data-file-writer.ts';
import { INVOICES_TABLE } from '../../src/lake/tables/lake-tables.ts';
import { LakeQuery } from '../../src/query/lake-query.ts';
import { loadJobs } from '../../src/jobs/job-loader.ts';
import { runJobOnce, type JobRunContext, type LoadedJob } from '../../src/jobs/job-runner.ts';
import { jobRunContext } from '../../src/jobs/job-runtime.ts';
import { JobScheduler } from '../../src/jobs/job-scheduler.ts';
import { JobHistory } from '../../src/jobs/job-history.ts';
import type { JobRunRecord } from '../../src/jobs/job-runs.ts';
import { DEFAULT_JOB_LIMITS } from '../../src/jobs/job-limits.ts';
import { createLogger } from '../../src/log/logger.ts';
import { runCli } from '../support/cli.ts';

const JAN_2026 = 1_767_225_600_000_000n;
/** Counts to 10^13: hours of work for DuckDB, as a job stuck on a runaway cross join would be. */
const STUCK_SQL = 'SELECT count(*) AS n FROM range(10000000000000)';

/**
 * Job runs are bounded: DuckDB reads only the lake and the sources, each run
 * has a memory limit and a timeout (settings, or the job's header), a run
 * past its timeout is interrupted and recorded as failed, and stopping the
 * scheduler interrupts what runs and returns within a few seconds.
 */
describe('job limits', () => {
  let root: string;
  let directory: string;
  let lake: Lake;
  let context: JobRunContext;
  let jobs: LoadedJob[];
  const logger = createLogger('fatal');

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-lake-job-limits-'));
    lake = await openLake({ lake: join(root, 'lake'), catalog: 'filesystem', catalogUrl: undefined, catalogName: 'x', catalogSchema: 'x', namespace: 'lake' });
    for (const table of lake.streamTables) await table.ensureCreated();
    const invoices = lake.table('invoices');
    const buffer = new ColumnBuffer(INVOICES_TABLE);
    for (let id = 1n; id <= 20n; id++) buffer.append([id, JAN_2026 + id, 1n, 2n, 100n * id, 0.5, 'm', id, JAN_2026]);
    await invoices.append(await invoices.load(), await writeDataFiles(invoices, buffer), {});

    directory = join(root, 'jobs');
    await mkdir(directory);
    await writeFile(join(directory, 'stuck.sql'), `-- schedule: every 1h\n-- output: stuck\n-- timeout: 2s\n${STUCK_SQL}\n`);
    await writeFile(join(directory, 'stuck_long.sql'), `-- schedule: every 1h\n-- output: stuck_long\n${STUCK_SQL}\n`);
    await writeFile(join(directory, 'totals.sql'), '-- schedule: every 1h\n-- output: totals\n-- mode: replace\nSELECT count(*) AS n FROM invoices\n');
    await writeFile(join(directory, 'memory_default.sql'), "-- schedule: every 1h\n-- output: memory_default\n-- mode: replace\nSELECT current_setting('memory_limit') AS m\n");
    await writeFile(join(directory, 'memory_own.sql'), "-- schedule: every 1h\n-- output: memory_own\n-- mode: replace\n-- memory: 64MB\nSELECT current_setting('memory_limit') AS m\n");
    await writeFile(join(directory, 'passwd.sql'), "-- schedule: every 1h\n-- output: passwd\nSELECT content FROM read_text('/etc/passwd')\n");
    context = jobRunContext(lake, { sources: [], limits: DEFAULT_JOB_LIMITS });
    const loaded = await loadJobs(directory, lake, () => context.openSession());
    jobs = loaded.jobs;
    expect(loaded.rejected.map((rejected) => rejected.message)).toEqual([expect.stringMatching(/^passwd\.sql: DuckDB cannot prepare the SQL: cannot read \/etc\/passwd/)]);
  });
  afterAll(async () => {
    await lake?.close();
    await rm(root, { recursive: true, force: true });
  });

  const job = (name: string) => jobs.find((candidate) => candidate.name === name)!;

  async function rows(sql: string): Promise<unknown[][]> {
    const session = await LakeQuery.open(lake);
    try {
      return (await session.run(sql)).rows;
    } finally {
      session.close();
    }
  }

  it('cancels a run at its timeout and records why', async () => {
    const started = performance.now();
    const record = await runJobOnce(job('stuck'), context, { trigger: 'manual', attempt: 1 });
    const elapsedMs = performance.now() - started;
    expect(record).toMatchObject({ status: 'failed', error: 'timed out after 2 s', rowsOut: 0 });
    expect(elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(elapsedMs).toBeLessThan(4000);
  });

  it('gives each run the memory limit of the settings, or of its header', async () => {
    expect(await runJobOnce(job('memory_default'), context, { trigger: 'manual', attempt: 1 })).toMatchObject({ status: 'succeeded' });
    expect(await runJobOnce(job('memory_own'), context, { trigger: 'manual', attempt: 1 })).toMatchObject({ status: 'succeeded' });
    // DuckDB reports the limits in MiB: 256 MB and 64 MB.
    expect(await rows('SELECT (SELECT m FROM memory_default), (SELECT m FROM memory_own)')).toEqual([['244.1 MiB', '61.0 MiB']]);
  });

  it('fails a run that reads a file outside the lake and the sources', async () => {
    const passwd: LoadedJob = { ...job('totals'), name: 'passwd', sql: "SELECT count(*) AS n FROM read_text('/etc/passwd')" };
    const record = await runJobOnce(passwd, context, { trigger: 'manual', attempt: 1 });
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/cannot read \/etc\/passwd/);
  });

  it('keeps scheduling other jobs past a stuck one, which is recorded as timed out in job_runs', async () => {
    const runs: JobRunRecord[] = [];
    const scheduler = new JobScheduler(
      { jobs: [job('stuck'), job('totals')], context, history: new JobHistory(lake, logger), logger, events: { onRun: (run) => runs.push(run) } },
      { concurrency: 1, minIntervalMs: 0 },
    );
    scheduler.trigger('stuck', 'manual');
    scheduler.trigger('totals', 'manual');
    await scheduler.idle();
    await scheduler.stop();
    expect(runs.map((run) => `${run.job}:${run.status}`)).toEqual(['stuck:failed', 'totals:succeeded']);
    expect(await rows("SELECT status, error FROM job_runs WHERE job = 'stuck' AND trigger = 'manual'")).toEqual([['failed', 'timed out after 2 s']]);
    expect(await rows('SELECT n::INTEGER FROM totals')).toEqual([[20]]);
  });

  it('stop() interrupts a stuck run and returns within 5 s, the run recorded as cancelled', async () => {
    const runs: JobRunRecord[] = [];
    const scheduler = new JobScheduler(
      { jobs: [job('stuck_long')], context, history: new JobHistory(lake, logger), logger, events: { onRun: (run) => runs.push(run) } },
      { concurrency: 1, minIntervalMs: 0 },
    );
    scheduler.trigger('stuck_long', 'manual');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const started = performance.now();
    await scheduler.stop();
    const stopMs = performance.now() - started;
    console.log(`scheduler.stop() with a stuck job took ${Math.round(stopMs)} ms`);
    expect(stopMs).toBeLessThan(5000);
    expect(runs).toMatchObject([{ job: 'stuck_long', status: 'failed', error: 'cancelled: the job scheduler is stopping' }]);
    expect(await rows("SELECT status, error FROM job_runs WHERE job = 'stuck_long'")).toEqual([['failed', 'cancelled: the job scheduler is stopping']]);
  });

  it('jobs run takes the timeout from JOB_TIMEOUT_MS', async () => {
    const env = { LAKE: join(root, 'lake'), CATALOG: 'filesystem', DATABASE_URL: '', JOBS_DIR: directory, JOB_TIMEOUT_MS: '1500' };
    const result = await runCli(['jobs', 'run', 'stuck_long'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/job stuck_long failed after \d+ ms: timed out after 1\.5 s/);
  });
});
