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
import { lastRunMs, runJobOnce, type LoadedJob } from '../../src/jobs/job-runner.ts';
import { JobScheduler } from '../../src/jobs/job-scheduler.ts';
import { jobRunContext } from '../../src/jobs/job-runtime.ts';
import { JobHistory } from '../../src/jobs/job-history.ts';
import { createLogger } from '../../src/log/logger.ts';
import { scanTable } from '../../src/jobs/incremental-scan.ts';
import { decodeSingleValue } from '../../src/lake/iceberg/single-value.ts';
import { monthFromMicros } from '../../src/lake/iceberg/transforms.ts';
import { icebergRead } from 'icebird';
import type { IcebergPrimitive } from '../../src/lake/iceberg/spec-types.ts';
import { localTableUrl, serveLocalFiles, type LocalFetch } from '../support/icebird-fetch.ts';
import { serveS3Objects } from '../support/icebird-s3-fetch.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { LAKE_BACKENDS } from '../support/lake-env.ts';

const JAN_2026 = 1_767_225_600_000_000n;
const DAY = 86_400_000_000n;

/**
 * Jobs over a lake without PostgreSQL: an on-commit job sees each added row
 * exactly once across runs, and replace-partitions rewrites only the months
 * the new rows touched, as one overwrite snapshot.
 */
describe.each(LAKE_BACKENDS)('the job runner, lake on %s', (backend) => {
  let root: string;
  let lake: Lake;
  let s3: TestS3Server | undefined;
  let lakeUri: string;
  let jobs: LoadedJob[];
  const openSession = () => LakeQuery.open(lake);
  /** Runs as the daemon makes them: sessions limited to the lake and the run's scratch directory. */
  const runContext = () => jobRunContext(lake, { sources: [] });
  let nextId = 1n;

  async function commitInvoices(count: number, day: bigint): Promise<void> {
    const table = lake.table('invoices');
    const buffer = new ColumnBuffer(INVOICES_TABLE);
    for (let i = 0; i < count; i++, nextId++) buffer.append([nextId, JAN_2026 + day * DAY, 1n + (nextId % 3n), 9n, 1000n + nextId, 0.5, 'm', nextId, JAN_2026 + day * DAY]);
    await table.append(await table.load(), await writeDataFiles(table, buffer), {});
  }

  async function rows<T>(sql: string): Promise<T[]> {
    const session = await openSession();
    try {
      const result = await session.run(sql);
      return result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i]]))) as T[];
    } finally {
      session.close();
    }
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-lake-jobs-'));
    lakeUri = join(root, 'lake');
    if (backend === 's3') {
      s3 = await startS3Server();
      // The AWS SDK's default provider chain reads the credentials from the environment, as in production.
      Object.assign(process.env, s3.env);
      lakeUri = s3.lakeUri();
    }
    lake = await openLake({
      lake: lakeUri,
      catalog: 'filesystem',
      catalogUrl: undefined,
      catalogName: 'x',
      catalogSchema: 'x',
      namespace: 'lake',
      s3: { endpoint: s3?.endpoint },
      cache: { directory: s3?.cacheDir },
    });
    for (const table of lake.streamTables) await table.ensureCreated();
    const directory = join(root, 'jobs');
    await mkdir(directory);
    await writeFile(join(directory, 'seen_ids.sql'), '-- schedule: on-commit invoices\n-- output: seen_ids\nSELECT invoice_id FROM invoices_delta\n');
    await writeFile(
      join(directory, 'monthly.sql'),
      `-- schedule: on-commit invoices
-- output: monthly
-- mode: replace-partitions
-- partition: month(month)
WITH touched AS (SELECT DISTINCT date_trunc('month', issue_date) AS month FROM invoices_delta)
SELECT issuer_id, date_trunc('month', issue_date) AS month, count(*)::BIGINT AS invoices, sum(amount)::DECIMAL(18,2) AS amount
  FROM invoices WHERE date_trunc('month', issue_date) IN (SELECT month FROM touched) GROUP BY ALL`,
    );
    await writeFile(
      join(directory, 'flags.sql'),
      `-- schedule: every 10m
-- output: flags
-- mode: replace
SELECT invoice_id, CASE WHEN invoice_id % 7 = 0 THEN NULL ELSE amount > 10.30 END AS large, DATE '2026-01-01' + (invoice_id % 40)::INTEGER AS day
  FROM invoices`,
    );
    await writeFile(join(directory, 'broken.sql'), '-- schedule: every 10m\n-- output: broken\nSELECT no_such_column FROM invoices\n');
    await writeFile(join(directory, 'huge.sql'), '-- schedule: every 10m\n-- output: huge\nSELECT sum(invoice_id) AS s FROM invoices\n');
    const loaded = await loadJobs(directory, lake, openSession);
    jobs = loaded.jobs;
    expect(loaded.rejected.map((error) => error.message)).toEqual([
      expect.stringMatching(/^broken\.sql: DuckDB cannot prepare the SQL: .*no_such_column/),
      expect.stringMatching(/^huge\.sql: column "s" has type HUGEINT.*cast it to BIGINT/),
    ]);
  });
  afterAll(async () => {
    await lake?.close();
    await s3?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const run = (name: string) => runJobOnce(jobs.find((job) => job.name === name)!, runContext(), { trigger: 'manual', attempt: 1 });

  it('processes each added row exactly once and skips when nothing is new', async () => {
    await commitInvoices(30, 1n);
    await commitInvoices(20, 40n);
    const first = await run('seen_ids');
    expect(first).toMatchObject({ status: 'succeeded', rowsIn: 50, rowsOut: 50 });
    expect((await run('seen_ids')).status).toBe('skipped');
    await commitInvoices(7, 41n);
    expect(await run('seen_ids')).toMatchObject({ status: 'succeeded', rowsIn: 7, rowsOut: 7 });
    const seen = await rows<{ n: number; d: number; max: number }>('SELECT count(*)::INTEGER AS n, count(DISTINCT invoice_id)::INTEGER AS d, max(invoice_id)::INTEGER AS max FROM seen_ids');
    expect(seen).toEqual([{ n: 57, d: 57, max: 57 }]);
  });

  it('replaces only the partitions the new rows touched, matching a full recomputation', async () => {
    const monthly = await run('monthly');
    expect(monthly.error).toBeNull();
    expect(monthly.status).toBe('succeeded');
    await commitInvoices(5, 45n); // February again: January's rows must stay as they are
    const second = await run('monthly');
    expect(second).toMatchObject({ status: 'succeeded', rowsIn: 5 });
    const expected = await rows(
      `SELECT issuer_id::INTEGER AS issuer, strftime(date_trunc('month', issue_date), '%Y-%m') AS month, count(*)::INTEGER AS invoices, sum(amount)::VARCHAR AS amount
         FROM invoices GROUP BY ALL ORDER BY ALL`,
    );
    const actual = await rows(`SELECT issuer_id::INTEGER AS issuer, strftime(month, '%Y-%m') AS month, invoices::INTEGER AS invoices, amount::VARCHAR AS amount FROM monthly ORDER BY ALL`);
    expect(actual).toEqual(expected);
    expect(actual.length).toBe(6);
  });

  it('stores BOOLEAN and DATE results as Iceberg boolean and date, with their bounds and null counts', async () => {
    const FLAGS_SQL = `SELECT invoice_id, CASE WHEN invoice_id % 7 = 0 THEN NULL ELSE amount > 10.30 END AS large, DATE '2026-01-01' + (invoice_id % 40)::INTEGER AS day FROM invoices`;
    const ran = await run('flags');
    expect(ran).toMatchObject({ status: 'succeeded', rowsOut: Number(nextId) - 1 });
    const asText = (from: string) => rows(`SELECT invoice_id::INTEGER AS id, large::VARCHAR AS large, day::VARCHAR AS day, typeof(large) AS lt, typeof(day) AS dt FROM (${from}) ORDER BY id`);
    const expected = await asText(FLAGS_SQL);
    expect(await asText('SELECT * FROM flags')).toEqual(expected);
    expect(expected.some((row: any) => row.large === 'true') && expected.some((row: any) => row.large === 'false') && expected.some((row: any) => row.large === null)).toBe(true);

    const location = await lake.catalog.currentMetadataLocation({ namespace: 'lake', name: 'flags' });
    const metadata = JSON.parse((await lake.storage.read(lake.storage.relativePath(location!)!)).toString('utf8'));
    expect(metadata.schemas.at(-1).fields.map((field: { name: string; type: string }) => `${field.name}:${field.type}`)).toEqual(['invoice_id:long', 'large:boolean', 'day:date']);
    const [file] = (await scanTable(lake.storage, location!)).files.map((entry) => entry.dataFile);
    const [stats] = await rows<{ nulls: number; lo: number; hi: number }>(
      `SELECT count(*) FILTER (WHERE large IS NULL)::INTEGER AS nulls, (min(day) - DATE '1970-01-01')::INTEGER AS lo, (max(day) - DATE '1970-01-01')::INTEGER AS hi FROM (${FLAGS_SQL})`,
    );
    expect(file!.nullValueCounts!.get(2)).toBe(BigInt(stats!.nulls));
    expect(decodeSingleValue('boolean', file!.lowerBounds!.get(2)!)).toEqual({ type: 'boolean', value: false });
    expect(decodeSingleValue('boolean', file!.upperBounds!.get(2)!)).toEqual({ type: 'boolean', value: true });
    expect(decodeSingleValue('date', file!.lowerBounds!.get(3)!)).toEqual({ type: 'date', value: stats!.lo });
    expect(decodeSingleValue('date', file!.upperBounds!.get(3)!)).toEqual({ type: 'date', value: stats!.hi });

    const served: LocalFetch = s3 ? serveS3Objects(s3.endpoint) : serveLocalFiles();
    try {
      const read = await icebergRead({ tableUrl: s3 ? `${lakeUri}/flags` : localTableUrl(join(lakeUri, 'flags')) });
      const asRead = read
        .map((row) => ({ id: Number(row.invoice_id), large: row.large === null ? null : String(row.large), day: new Date(row.day as Date).toISOString().slice(0, 10) }))
        .sort((a, b) => a.id - b.id);
      expect(asRead).toEqual(expected.map((row: any) => ({ id: row.id, large: row.large, day: row.day })));
    } finally {
      served.restore();
    }
  });

  it('after a restart, runs a scheduled job when its interval since the last output commit has passed, not before', async () => {
    const flags = jobs.find((job) => job.name === 'flags')!;
    const context = runContext();
    const last = await lastRunMs(flags, context);
    expect(last).toBeDefined(); // the test above ran it
    expect(await lastRunMs({ ...flags, name: 'never_ran', outputTable: { ...flags.outputTable, name: 'never_ran' } }, context)).toBeUndefined();

    /** A daemon started at `now`: what it plans for the job, and the runs it makes until idle. */
    async function startAt(now: number): Promise<{ plannedMs: number; runs: string[] }> {
      const runs: string[] = [];
      let planned: (delay: number) => void;
      const plannedMs = new Promise<number>((resolve) => (planned = resolve));
      const scheduler = new JobScheduler(
        { jobs: [flags], context, history: new JobHistory(lake, createLogger('fatal')), logger: createLogger('fatal'), events: { onRun: (run) => runs.push(run.status), onScheduled: (_job, delay) => planned(delay) } },
        { concurrency: 1, minIntervalMs: 0, now: () => new Date(now) },
      );
      scheduler.start();
      const delayMs = await plannedMs;
      await new Promise((resolve) => setTimeout(resolve, 50));
      await scheduler.idle();
      await scheduler.stop();
      return { plannedMs: delayMs, runs };
    }

    const fourMinutesLater = await startAt(last! + 4 * 60_000);
    expect(fourMinutesLater).toEqual({ plannedMs: 6 * 60_000, runs: [] });
    const elevenMinutesLater = await startAt(last! + 11 * 60_000);
    expect(elevenMinutesLater).toEqual({ plannedMs: 0, runs: ['succeeded'] });
    expect(await lastRunMs(flags, context)).toBeGreaterThan(last!);
  });

  it('writes data files whose partition, counts and bounds are exactly their rows, readable by icebird', async () => {
    const location = await lake.catalog.currentMetadataLocation({ namespace: 'lake', name: 'monthly' });
    const scan = await scanTable(lake.storage, location!);
    expect(scan.files.length).toBe(2);
    const session = await openSession();
    try {
      for (const { dataFile } of scan.files) {
        const [path] = await lake.storage.queryPaths([dataFile.filePath]);
        const [row] = (
          await session.run(
            `SELECT count(*)::INTEGER, min(issuer_id)::INTEGER, max(issuer_id)::INTEGER, epoch_us(min(month))::VARCHAR, epoch_us(max(month))::VARCHAR, min(amount)::VARCHAR, max(amount)::VARCHAR
               FROM read_parquet('${path}')`,
          )
        ).rows as [[number, number, number, string, string, string, string]];
        const [count, minIssuer, maxIssuer, minMonth, maxMonth, minAmount, maxAmount] = row;
        expect(Number(dataFile.recordCount)).toBe(count);
        expect(dataFile.partition).toEqual([monthFromMicros(BigInt(minMonth))]);
        expect(monthFromMicros(BigInt(maxMonth))).toBe(dataFile.partition[0]);
        const bound = (bounds: Map<number, Uint8Array> | undefined, fieldId: number, type: IcebergPrimitive) => decodeSingleValue(type, bounds!.get(fieldId)!);
        expect(bound(dataFile.lowerBounds, 1, 'long')).toEqual({ type: 'long', value: BigInt(minIssuer) });
        expect(bound(dataFile.upperBounds, 1, 'long')).toEqual({ type: 'long', value: BigInt(maxIssuer) });
        expect(bound(dataFile.lowerBounds, 2, 'timestamptz')).toEqual({ type: 'timestamptz', value: BigInt(minMonth) });
        expect(bound(dataFile.upperBounds, 4, 'decimal(18, 2)')).toMatchObject({ unscaled: BigInt(maxAmount.replace('.', '')) });
        expect(bound(dataFile.lowerBounds, 4, 'decimal(18, 2)')).toMatchObject({ unscaled: BigInt(minAmount.replace('.', '')) });
        expect(dataFile.nullValueCounts!.get(3)).toBe(0n);
        expect(dataFile.valueCounts!.get(3)).toBe(BigInt(count));
      }
    } finally {
      session.close();
    }
    // An independent reader sees the overwrite snapshot: the replaced month's old file is gone.
    const served: LocalFetch = s3 ? serveS3Objects(s3.endpoint) : serveLocalFiles();
    try {
      const read = await icebergRead({ tableUrl: s3 ? `${lakeUri}/monthly` : localTableUrl(join(lakeUri, 'monthly')) });
      const total = read.reduce((sum, row) => sum + Number(row.invoices), 0);
      expect(read.length).toBe(6);
      expect(total).toBe(62);
    } finally {
      served.restore();
    }
  });
});
