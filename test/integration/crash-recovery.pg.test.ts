import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { completion, runCli, startCli } from '../support/cli.ts';
import { LAKE_BACKENDS, onS3, ownSourceEnv, queryLake, SOURCE_DDL, type LakeBackend } from '../support/lake-env.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';

interface Totals {
  n: string;
  total: string;
  distinct_ids: string;
  checksum: string;
}

const sourceTotals = (table: string) => `SELECT count(*)::text AS n, coalesce(sum(amount), 0)::text AS total, count(DISTINCT invoice_id)::text AS distinct_ids,
  coalesce(sum(invoice_id * 31 + issuer_id * 7 + receiver_id + (extract(epoch FROM issue_date) * 1000000)::bigint % 1000003), 0)::text AS checksum
  FROM ${table}`;
const LAKE_TOTALS = `SELECT count(*)::VARCHAR AS n, coalesce(sum(amount), 0)::VARCHAR AS total, count(DISTINCT invoice_id)::VARCHAR AS distinct_ids,
  coalesce(sum(invoice_id * 31 + issuer_id * 7 + receiver_id + epoch_us(issue_date) % 1000003), 0)::VARCHAR AS checksum
  FROM invoices`;

/**
 * Exactly once across crashes: whatever moment the process dies at, a restart
 * leaves the lake equal to the source, with no invoice twice and none missing.
 */
describe('crash recovery', () => {
  let db: TestDatabase;
  let s3: TestS3Server;
  let nextId = 1;

  beforeAll(async () => {
    [db, s3] = await Promise.all([startTestDatabase(), startS3Server()]);
    await db.query(SOURCE_DDL);
  });
  afterAll(async () => {
    await db?.stop();
    await s3?.stop();
  });

  /** A source table, slot and lake of its own; `backend` decides whether the lake is a directory or an S3 prefix. */
  const sourceFor = async (name: string, extra: Record<string, string> = {}, backend: LakeBackend = 'local') => {
    const env = await ownSourceEnv(db, backend === 'local' ? name : `${name}_s3`, extra);
    return backend === 's3' ? onS3(env, s3) : env;
  };

  async function insertInvoices(table: string, count: number, perTransaction = 50): Promise<void> {
    for (let done = 0; done < count; done += perTransaction) {
      const n = Math.min(perTransaction, count - done);
      await db.query(
        `INSERT INTO ${table} (invoice_id, issue_date, issuer_id, receiver_id, amount)
         SELECT g, timestamptz '2026-01-15 10:00:00+00' + g * interval '37 minutes 0.000011 seconds', g % 50, g % 43, (g % 100000) / 100.0 + 0.01
           FROM generate_series($1::bigint, $2::bigint) g`,
        [nextId, nextId + n - 1],
      );
      nextId += n;
    }
  }

  async function waitForActiveSlot(slot: string): Promise<void> {
    for (let attempt = 0; attempt < 600; attempt++) {
      const [row] = await db.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (row?.active) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`slot ${slot} never became active`);
  }

  async function expectLakeEqualsSource(env: Record<string, string>): Promise<void> {
    const [source] = await db.query<Totals & Record<string, string>>(sourceTotals(env.SOURCE_TABLE!));
    const [lake] = await queryLake<Totals>(env, LAKE_TOTALS);
    expect(lake).toEqual(source);
    expect(lake!.distinct_ids).toBe(lake!.n);
  }

  describe.each(LAKE_BACKENDS)('with the lake on %s', (backend) => {
    for (const point of ['before-catalog-commit', 'before-acknowledge'] as const) {
      it(`loses and duplicates nothing when killed at ${point}`, async () => {
        const env = await sourceFor(point.replace(/-/g, '_'), {}, backend);
        expect((await runCli(['setup'], env)).code).toBe(0);
        await insertInvoices(env.SOURCE_TABLE!, 400);
        const crashed = await runCli(['run', '--once'], { ...env, INVOICE_LAKE_FAILPOINTS: `${point}:crash` });
        expect(crashed.signal).toBe('SIGKILL');
        const restarted = await runCli(['run', '--once'], env);
        expect(restarted.stderr).toBe('');
        expect(restarted.code).toBe(0);
        await expectLakeEqualsSource(env);
      });
    }

    it('loses and duplicates nothing across repeated kill -9 while rows are inserted', async () => {
      const env = await sourceFor('killed', { BATCH_MAX_DELAY_MS: '100', BATCH_MAX_ROWS: '300' }, backend);
      expect((await runCli(['setup'], env)).code).toBe(0);
      let inserting = true;
      const writer = (async () => {
        while (inserting) {
          await insertInvoices(env.SOURCE_TABLE!, 120, 40);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const kills: number[] = [];
      for (let round = 0; round < 6; round++) {
        const daemon = startCli(['run'], env);
        const done = completion(daemon);
        const delayMs = 700 + Math.floor(Math.random() * 1800);
        kills.push(delayMs);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        daemon.kill('SIGKILL');
        const result = await done;
        expect(result.signal).toBe('SIGKILL');
      }
      inserting = false;
      await writer;
      const final = await runCli(['run', '--once'], env);
      expect(final.stderr).toBe('');
      expect(final.code).toBe(0);
      await expectLakeEqualsSource(env);
      const [{ n }] = (await queryLake<{ n: string }>(env, 'SELECT count(*)::VARCHAR AS n FROM invoices')) as [{ n: string }];
      expect(Number(n)).toBeGreaterThan(400);
    });
  });

  it('stops gracefully on SIGTERM: commits, acknowledges and exits 0', async () => {
    const env = await sourceFor('sigterm', { BATCH_MAX_DELAY_MS: '60000' });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const daemon = startCli(['run'], env);
    const done = completion(daemon);
    await waitForActiveSlot('slot_sigterm');
    await insertInvoices(env.SOURCE_TABLE!, 150);
    // Every WAL position before the last transaction: the acknowledgement must pass it.
    const [{ lsn: beforeLast }] = (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')) as [{ lsn: string }];
    await insertInvoices(env.SOURCE_TABLE!, 50);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    daemon.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
    await expectLakeEqualsSource(env);
    const [slot] = await db.query<{ acknowledged_last: boolean }>(
      `SELECT confirmed_flush_lsn > $1::pg_lsn AS acknowledged_last FROM pg_replication_slots WHERE slot_name = 'slot_sigterm'`,
      [beforeLast],
    );
    expect(slot!.acknowledged_last).toBe(true);
  });
});
