import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { completion, runCli, startCli } from '../support/cli.ts';
import { ownSourceEnv, queryLake, SOURCE_DDL } from '../support/lake-env.ts';

/** Counts to 10^13: a job that, unbounded, runs for hours on both cores. */
const STUCK_JOB = `-- schedule: every 1h
-- output: stuck
SELECT count(*) AS n FROM range(10000000000000)
`;

/**
 * A daemon whose job never finishes still stops on SIGTERM: the scheduler
 * interrupts the run, records it and returns within its stop bound.
 */
describe('daemon shutdown with a stuck job', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await startTestDatabase();
    await db.query(SOURCE_DDL);
    const jobs = await mkdtemp(join(tmpdir(), 'invoice-lake-jobs-'));
    await writeFile(join(jobs, 'stuck.sql'), STUCK_JOB);
    env = await ownSourceEnv(db, 'job_shutdown', { JOBS_DIR: jobs });
    const setup = await runCli(['setup'], env);
    expect(setup.code, setup.stderr).toBe(0);
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('exits 0 within seconds of SIGTERM, the run recorded as cancelled', async () => {
    const daemon = startCli(['run'], { ...env, LOG_LEVEL: 'info' });
    const done = completion(daemon);
    // The job has no previous run, so it starts as soon as the jobs are loaded; give it time to be deep in DuckDB.
    await new Promise<void>((resolve) => {
      let seen = '';
      daemon.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (seen.includes('jobs loaded')) resolve();
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const signalled = performance.now();
    daemon.kill('SIGTERM');
    const result = await done;
    const exitMs = performance.now() - signalled;
    console.log(`daemon exited ${Math.round(exitMs)} ms after SIGTERM with a stuck job`);
    expect(result.code, `${result.signal} ${result.stderr}`).toBe(0);
    expect(result.stderr).toContain('job run ended by stop');
    expect(exitMs).toBeLessThan(10_000);
    expect(await queryLake(env, "SELECT status, error FROM job_runs WHERE job = 'stuck'")).toEqual([{ status: 'failed', error: 'cancelled: the job scheduler is stopping' }]);
  });
});
