import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { completion, runCli, startCli } from '../support/cli.ts';
import { LAKE_BACKENDS, onS3, ownSourceEnv, queryLake, SOURCE_DDL } from '../support/lake-env.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';

const DELTA_COPY = `-- schedule: on-commit invoices
-- output: delta_copy
-- mode: append
SELECT invoice_id, amount FROM invoices_delta
`;

/**
 * An on-commit job across kill -9: at the two moments that matter (result
 * written but not committed; committed but not recorded) and at random
 * moments of a daemon under load. Afterwards the job's output holds every
 * invoice exactly once: no delta processed twice, none skipped.
 */
describe.each(LAKE_BACKENDS)('on-commit job across kill -9, lake on %s', (backend) => {
  let db: TestDatabase;
  let s3: TestS3Server | undefined;
  let env: Record<string, string>;
  let nextId = 1;

  beforeAll(async () => {
    db = await startTestDatabase();
    await db.query(SOURCE_DDL);
    const jobs = await mkdtemp(join(tmpdir(), 'invoice-lake-jobs-'));
    await writeFile(join(jobs, 'delta_copy.sql'), DELTA_COPY);
    env = await ownSourceEnv(db, 'job_crash', { JOBS_DIR: jobs, JOBS_MIN_INTERVAL_MS: '0', BATCH_MAX_DELAY_MS: '100', BATCH_MAX_ROWS: '200' });
    if (backend === 's3') {
      s3 = await startS3Server();
      env = onS3(env, s3);
    }
    const setup = await runCli(['setup'], env);
    expect(setup.code, setup.stderr).toBe(0);
  });
  afterAll(async () => {
    await db?.stop();
    await s3?.stop();
  });

  async function insertInvoices(count: number, perTransaction = 50): Promise<void> {
    for (let done = 0; done < count; done += perTransaction) {
      const n = Math.min(perTransaction, count - done);
      await db.query(
        `INSERT INTO job_crash (invoice_id, issue_date, issuer_id, receiver_id, amount)
         SELECT g, timestamptz '2026-03-01 00:00:00+00' + g * interval '17 minutes', g % 31, g % 29, g / 100.0 + 0.01 FROM generate_series($1::bigint, $2::bigint) g`,
        [nextId, nextId + n - 1],
      );
      nextId += n;
    }
  }

  async function outputCounts(): Promise<{ rows: number; distinct: number; missing: number; amounts_match: boolean }> {
    const [counts] = await queryLake<{ rows: string; distinct: string; missing: string; amounts_match: boolean }>(
      env,
      `SELECT (SELECT count(*) FROM delta_copy)::VARCHAR AS rows, (SELECT count(DISTINCT invoice_id) FROM delta_copy)::VARCHAR AS distinct,
              (SELECT count(*) FROM invoices i ANTI JOIN delta_copy d USING (invoice_id))::VARCHAR AS missing,
              (SELECT coalesce(sum(amount), 0) FROM delta_copy) = (SELECT coalesce(sum(amount), 0) FROM invoices) AS amounts_match`,
    );
    return { rows: Number(counts!.rows), distinct: Number(counts!.distinct), missing: Number(counts!.missing), amounts_match: counts!.amounts_match };
  }

  it('a crash before the job commit leaves the delta for the next run', async () => {
    await insertInvoices(300);
    const crashed = await runCli(['run', '--once'], { ...env, INVOICE_LAKE_FAILPOINTS: 'before-job-commit:crash' });
    expect(crashed.signal).toBe('SIGKILL');
    // The stream committed the invoices; the job's result files were written but never committed.
    expect((await queryLake<{ n: string }>(env, 'SELECT count(*)::VARCHAR AS n FROM invoices'))[0]!.n).toBe('300');
    expect(await outputCounts()).toEqual({ rows: 0, distinct: 0, missing: 300, amounts_match: false });

    const again = await runCli(['run', '--once'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(await outputCounts()).toEqual({ rows: 300, distinct: 300, missing: 0, amounts_match: true });
  });

  it('a crash after the job commit does not process that delta again', async () => {
    await insertInvoices(200);
    const crashed = await runCli(['run', '--once'], { ...env, INVOICE_LAKE_FAILPOINTS: 'after-job-commit:crash' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await outputCounts()).toEqual({ rows: 500, distinct: 500, missing: 0, amounts_match: true });

    const again = await runCli(['jobs', 'run', 'delta_copy'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^delta_copy: skipped, invoices has no rows the job has not processed/);
    expect(await outputCounts()).toEqual({ rows: 500, distinct: 500, missing: 0, amounts_match: true });
  });

  // Random kills are the same code on both backends; once is enough for the suite's time.
  it.runIf(backend === 'local')('random kill -9 of the daemon while invoices stream in and the job runs', async () => {
    let inserting = true;
    const writer = (async () => {
      while (inserting) {
        await insertInvoices(60, 20);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    for (let round = 0; round < 4; round++) {
      const daemon = startCli(['run'], env);
      const done = completion(daemon);
      await new Promise((resolve) => setTimeout(resolve, 2500 + Math.floor(Math.random() * 2500)));
      daemon.kill('SIGKILL');
      expect((await done).signal).toBe('SIGKILL');
    }
    inserting = false;
    await writer;
    const final = await runCli(['run', '--once'], env);
    expect(final.code, final.stderr).toBe(0);

    const [{ n }] = (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM job_crash')) as [{ n: string }];
    expect(Number(n)).toBeGreaterThan(500);
    expect(await outputCounts()).toEqual({ rows: Number(n), distinct: Number(n), missing: 0, amounts_match: true });
  });
});
