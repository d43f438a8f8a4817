import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { runCli } from '../support/cli.ts';
import { lakeEnv, onS3, openEnvLake, queryLake, SOURCE_DDL } from '../support/lake-env.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { snapshotFiles } from '../../src/query/snapshot-files.ts';
import { monthLabel } from '../../src/lake/iceberg/transforms.ts';
import { decodeSingleValue } from '../../src/lake/iceberg/single-value.ts';
import { monthFromMicros } from '../../src/lake/iceberg/transforms.ts';

/**
 * The lake must hold every source value exactly: numeric digits, timestamptz
 * microseconds, each row in the month partition of its issue_date.
 */
describe('exact values from PostgreSQL to the lake', () => {
  let db: TestDatabase;
  let s3: TestS3Server;
  /** The same source streamed into a local lake and, by a slot of its own, into a lake on the test S3 server. */
  const lakes: Array<{ backend: string; env: Record<string, string> }> = [];

  beforeAll(async () => {
    [db, s3] = await Promise.all([startTestDatabase(), startS3Server()]);
    await db.query(SOURCE_DDL);
    lakes.push({ backend: 'local', env: await lakeEnv(db) });
    lakes.push({ backend: 's3', env: onS3(await lakeEnv(db, { SLOT_NAME: 'exact_s3', PUBLICATION_NAME: 'exact_s3' }), s3) });
    for (const { env } of lakes) {
      const setup = await runCli(['setup'], env);
      expect(setup.stderr).toBe('');
      expect(setup.code).toBe(0);
    }
  });
  afterAll(async () => {
    await db?.stop();
    await s3?.stop();
  });

  it('copies edge-case numerics and timestamps exactly and partitions by UTC month', async () => {
    await db.query(`INSERT INTO invoices (invoice_id, issue_date, issuer_id, receiver_id, amount) VALUES
      (1, '2026-01-01 00:00:00+00', 1, 2, 0),
      (2, '2025-12-31 23:59:59.999999+00', 1, 2, -0.01),
      (3, '2026-03-08 02:30:00.000001 America/New_York', 9223372036854775807, 2, 999999999999.99),
      (4, '2026-11-01 01:30:00.5 America/New_York', 3, -9223372036854775808, -999999999999.99),
      (5, '1969-12-31 23:59:59.999999+00', 3, 4, 0.10),
      (6, '2024-02-29 12:00:00.000123+05:30', 3, 4, 12345.67),
      (7, '2026-03-29 01:59:59.999999 Europe/Berlin', 5, 6, 1.00)`);
    await db.query(`INSERT INTO invoices (invoice_id, issue_date, issuer_id, receiver_id, amount)
      SELECT 100 + g, timestamptz '2025-01-01 00:00:00+00' + (g * interval '1 hour 17 minutes 3.000007 seconds'),
             g % 97, (g * 7) % 89, ((g * 7919) % 1000000)::numeric / 100 * CASE WHEN g % 13 = 0 THEN -1 ELSE 1 END
        FROM generate_series(1, 3000) g`);

    for (const { env } of lakes) {
      const drained = await runCli(['run', '--once'], env);
      expect(drained.stderr).toBe('');
      expect(drained.code).toBe(0);

      const source = await db.query<{ invoice_id: string; micros: string; issuer_id: string; receiver_id: string; amount: string }>(
        `SELECT invoice_id::text, (extract(epoch FROM issue_date) * 1000000)::bigint::text AS micros,
                issuer_id::text, receiver_id::text, amount::text FROM invoices ORDER BY invoice_id`,
      );
      const lake = await queryLake<{ invoice_id: string; micros: string; issuer_id: string; receiver_id: string; amount: string }>(
        env,
        `SELECT invoice_id::VARCHAR AS invoice_id, epoch_us(issue_date)::VARCHAR AS micros, issuer_id::VARCHAR AS issuer_id,
                receiver_id::VARCHAR AS receiver_id, amount::VARCHAR AS amount FROM invoices ORDER BY invoice_id`,
      );
      expect(lake).toHaveLength(source.length);
      expect(lake).toEqual(source);

      const [sourceSum] = await db.query<{ total: string; n: string }>('SELECT sum(amount)::text AS total, count(*)::text AS n FROM invoices');
      const [lakeSum] = await queryLake<{ total: string; n: string }>(env, 'SELECT sum(amount)::VARCHAR AS total, count(*)::VARCHAR AS n FROM invoices');
      expect(lakeSum).toEqual(sourceSum);
    }
  });

  it.each(['local', 's3'])('puts every data file in the month partition of all its rows, with bounds that cover them (%s)', async (backend) => {
    const { env } = lakes.find((lake) => lake.backend === backend)!;
    const savedEnv = { ...process.env };
    // The S3 lake's client reads its credentials from the environment (the AWS default provider chain), as the CLI's does.
    if (backend === 's3') Object.assign(process.env, s3.env);
    const lake = await openEnvLake(env, db);
    try {
      const location = await lake.catalog.currentMetadataLocation({ namespace: 'lake', name: 'invoices' });
      const { dataFiles } = await snapshotFiles(lake.storage, location!);
      expect(dataFiles.length).toBeGreaterThan(10);
      for (const file of dataFiles) {
        const month = file.partition[0]!;
        expect(file.filePath).toContain(`issue_date_month=${monthLabel(month)}/`);
        const lower = decodeSingleValue('timestamptz', file.lowerBounds!.get(2)!);
        const upper = decodeSingleValue('timestamptz', file.upperBounds!.get(2)!);
        expect(lower.type === 'timestamptz' && monthFromMicros(lower.value)).toBe(month);
        expect(upper.type === 'timestamptz' && monthFromMicros(upper.value)).toBe(month);
      }
      const [{ months }] = (await queryLake<{ months: string }>(env, `SELECT count(DISTINCT strftime(issue_date, '%Y-%m'))::VARCHAR AS months FROM invoices`)) as [{ months: string }];
      expect(new Set(dataFiles.map((file) => file.partition[0])).size).toBe(Number(months));
    } finally {
      await lake.close();
      process.env = savedEnv;
    }
  });

  it('records updates, deletes and truncates in invoice_changes and keeps streaming', async () => {
    await db.query(`UPDATE invoices SET amount = 42.42 WHERE invoice_id = 1`);
    await db.query(`DELETE FROM invoices WHERE invoice_id = 2`);
    await db.query(`INSERT INTO invoices (invoice_id, issue_date, issuer_id, receiver_id, amount) VALUES (50, now(), 1, 2, 7.77)`);
    await db.query(`TRUNCATE invoices`);
    for (const { env } of lakes) {
      const drained = await runCli(['run', '--once'], env);
      expect(drained.code).toBe(0);
      const changes = await queryLake<{ operation: string; invoice_id: string | null; new_amount: string | null }>(
        env,
        `SELECT operation, invoice_id::VARCHAR AS invoice_id, new_amount::VARCHAR AS new_amount FROM invoice_changes ORDER BY commit_lsn`,
      );
      expect(changes).toEqual([
        { operation: 'update', invoice_id: '1', new_amount: '42.42' },
        { operation: 'delete', invoice_id: '2', new_amount: null },
        { operation: 'truncate', invoice_id: null, new_amount: null },
      ]);
      const [latest] = await queryLake<{ amount: string }>(env, 'SELECT amount::VARCHAR AS amount FROM invoices WHERE invoice_id = 50');
      expect(latest).toEqual({ amount: '7.77' });
    }
  });

  it.each(['local', 's3'])('reports status with the committed LSN and row counts (%s)', async (backend) => {
    const { env } = lakes.find((lake) => lake.backend === backend)!;
    const status = await runCli(['status', '--json'], env);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { slot: { lagBytes: string }; tables: Array<{ table: string; rows: string; sourceLsn: string }> };
    const invoices = report.tables.find((table) => table.table === 'invoices')!;
    expect(invoices.rows).toBe('3008');
    expect(invoices.sourceLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  });
});
