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
import type { JobRunRecord } from '../../src/jobs/job-runs.ts';

const JAN_2026 = 1_767_225_600_000_000n;
const DAY = 86_400_000_000n;

/**
 * Two runs of one on-commit job racing on the same input delta (two
 * `jobs run`, or `jobs run` beside the daemon): the second to commit loses
 * the compare-and-swap, finds that the first already covered the input it
 * read, and gives up its commit. Each input row reaches the output once.
 *
 * The race is forced: run A is held after it loaded its base and wrote its
 * result, until run B has run and committed.
 */
describe('job output fencing', () => {
  let root: string;
  let lake: Lake;
  let context: JobRunContext;
  let jobs: LoadedJob[];
  let nextId = 1n;

  async function commitInvoices(count: number, day: bigint): Promise<void> {
    const table = lake.table('invoices');
    const buffer = new ColumnBuffer(INVOICES_TABLE);
    for (let i = 0; i < count; i++, nextId++) buffer.append([nextId, JAN_2026 + day * DAY, 1n + (nextId % 3n), 9n, 1000n + nextId, 0.5, 'm', nextId, JAN_2026 + day * DAY]);
    await table.append(await table.load(), await writeDataFiles(table, buffer), {});
  }

  async function rows(sql: string): Promise<unknown[][]> {
    const session = await LakeQuery.open(lake);
    try {
      return (await session.run(sql)).rows;
    } finally {
      session.close();
    }
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-lake-fencing-'));
    lake = await openLake({ lake: join(root, 'lake'), catalog: 'filesystem', catalogUrl: undefined, catalogName: 'x', catalogSchema: 'x', namespace: 'lake' });
    for (const table of lake.streamTables) await table.ensureCreated();
    const directory = join(root, 'jobs');
    await mkdir(directory);
    await writeFile(join(directory, 'enriched.sql'), '-- schedule: on-commit invoices\n-- output: enriched\n-- mode: append\nSELECT invoice_id, amount FROM invoices_delta\n');
    await writeFile(
      join(directory, 'monthly.sql'),
      `-- schedule: on-commit invoices
-- output: monthly
-- mode: replace-partitions
-- partition: month(month)
SELECT issuer_id, date_trunc('month', issue_date) AS month, count(*)::BIGINT AS invoices
  FROM invoices WHERE date_trunc('month', issue_date) IN (SELECT DISTINCT date_trunc('month', issue_date) FROM invoices_delta) GROUP BY ALL`,
    );
    context = jobRunContext(lake, { sources: [] });
    jobs = (await loadJobs(directory, lake, () => context.openSession())).jobs;
    expect(jobs.map((job) => job.name)).toEqual(['enriched', 'monthly']);
  });
  afterAll(async () => {
    await lake?.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Runs `job` (A); once A has loaded its base and is about to write its result, runs it again (B) to the end. */
  async function race(job: LoadedJob): Promise<{ a: JobRunRecord; b: JobRunRecord }> {
    let b: JobRunRecord | undefined;
    const holding: JobRunContext = {
      ...context,
      async openSession(options) {
        const session = await context.openSession(options);
        const copyTo = session.copyTo.bind(session);
        session.copyTo = async (...args) => {
          b = await runJobOnce(job, context, { trigger: 'manual', attempt: 1 });
          return copyTo(...args);
        };
        return session;
      },
    };
    const a = await runJobOnce(job, holding, { trigger: 'on-commit', attempt: 1 });
    return { a, b: b! };
  }

  it('an append job: the run that loses the race commits nothing and is recorded as superseded', async () => {
    await commitInvoices(30, 1n);
    await commitInvoices(20, 2n);
    const { a, b } = await race(jobs.find((job) => job.name === 'enriched')!);
    expect(b).toMatchObject({ status: 'succeeded', rowsIn: 50, rowsOut: 50 });
    expect(a).toMatchObject({ status: 'superseded', outputSnapshot: null, rowsOut: 0 });
    expect(a.error).toMatch(/another run already processed invoices/);
    expect(await rows('SELECT count(*)::INTEGER, count(DISTINCT invoice_id)::INTEGER FROM enriched')).toEqual([[50, 50]]);

    // The next run starts from the state B left: nothing new, then only what comes after.
    expect((await runJobOnce(jobs[0]!, context, { trigger: 'manual', attempt: 1 })).status).toBe('skipped');
    await commitInvoices(7, 3n);
    expect(await runJobOnce(jobs[0]!, context, { trigger: 'manual', attempt: 1 })).toMatchObject({ status: 'succeeded', rowsIn: 7 });
    expect(await rows('SELECT count(*)::INTEGER, count(DISTINCT invoice_id)::INTEGER, (SELECT count(*) FROM invoices)::INTEGER FROM enriched')).toEqual([[57, 57, 57]]);
  });

  it('a replace-partitions job: the stale run does not overwrite the newer result', async () => {
    const monthly = jobs.find((job) => job.name === 'monthly')!;
    const { a, b } = await race(monthly);
    expect(b.status).toBe('succeeded');
    expect(a.status).toBe('superseded');
    const expected = await rows("SELECT issuer_id::INTEGER, count(*)::INTEGER FROM invoices GROUP BY ALL ORDER BY ALL");
    expect(await rows('SELECT issuer_id::INTEGER, sum(invoices)::INTEGER FROM monthly GROUP BY ALL ORDER BY ALL')).toEqual(expected);
  });
});
