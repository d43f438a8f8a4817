import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { runCli } from '../support/cli.ts';
import { lakeEnv, queryLake, SOURCE_DDL } from '../support/lake-env.ts';

interface SlotStats {
  stream_txns: string;
  stream_count: string;
  stream_bytes: string;
  spill_txns: string;
  spill_bytes: string;
}

/**
 * A transaction larger than logical_decoding_work_mem is streamed by the
 * server while in progress (pgoutput protocol 2) instead of spilled to its
 * disk; the lake must still receive exactly its committed rows, in commit
 * order with the small transactions that committed around it.
 */
describe('streamed in-progress transactions', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await startTestDatabase();
    await db.query(SOURCE_DDL);
    await db.query(`ALTER SYSTEM SET logical_decoding_work_mem = '64kB'`);
    await db.query('SELECT pg_reload_conf()');
    env = await lakeEnv(db);
    const setup = await runCli(['setup'], env);
    expect(setup.stderr).toBe('');
    expect(setup.code).toBe(0);
  });
  afterAll(async () => db?.stop());

  const insert = (client: { query(sql: string, values: unknown[]): Promise<unknown> }, first: number, last: number) =>
    client.query(
      `INSERT INTO invoices (invoice_id, issue_date, issuer_id, receiver_id, amount)
       SELECT g, timestamptz '2026-02-01 08:00:00+00' + g * interval '1 minute 0.000003 seconds', g % 61, g % 53, (g % 9973) / 100.0 + 0.01
         FROM generate_series($1::bigint, $2::bigint) g`,
      [first, last],
    );

  it('delivers a streamed transaction with a rolled-back savepoint exactly, without spilling on the server', async () => {
    // A second slot shows what the server sends for the same WAL, to prove the savepoint's rows were
    // streamed before their rollback (a Stream Abort of a subtransaction), not dropped by the server.
    await db.query(`SELECT pg_create_logical_replication_slot('streaming_probe', 'pgoutput')`);
    const big = new pg.Client({ connectionString: db.url });
    await big.connect();
    try {
      await insert(db, 900_001, 900_010); // before the big transaction
      await big.query('BEGIN');
      await insert(big, 1, 8_000);
      await big.query('SAVEPOINT rolled_back');
      await insert(big, 100_001, 105_000);
      await insert(db, 900_011, 900_020); // commits while the big one is open
      await big.query('ROLLBACK TO SAVEPOINT rolled_back');
      await insert(big, 8_001, 16_000);
      await big.query('SAVEPOINT released');
      await insert(big, 16_001, 20_000);
      await big.query('RELEASE SAVEPOINT released');
      await insert(db, 900_021, 900_030);
      await big.query('COMMIT');
      await insert(db, 900_031, 900_040); // after it
    } finally {
      await big.end();
    }

    const [probe] = await db.query<{ subtransaction_aborts: string; stream_commits: string }>(
      `SELECT count(*) FILTER (WHERE get_byte(data, 0) = ascii('A') AND substr(data, 2, 4) <> substr(data, 6, 4))::text AS subtransaction_aborts,
              count(*) FILTER (WHERE get_byte(data, 0) = ascii('c'))::text AS stream_commits
         FROM pg_logical_slot_peek_binary_changes('streaming_probe', NULL, NULL,
              'proto_version', '2', 'streaming', 'on', 'publication_names', 'invoice_lake')`,
    );
    expect(probe).toEqual({ subtransaction_aborts: '1', stream_commits: '1' });
    await db.query(`SELECT pg_drop_replication_slot('streaming_probe')`);

    const drained = await runCli(['run', '--once'], env);
    expect(drained.stderr).toBe('');
    expect(drained.code).toBe(0);

    const source = (await db.query<{ invoice_id: string }>('SELECT invoice_id::text FROM invoices ORDER BY invoice_id')).map((r) => r.invoice_id);
    expect(source).toHaveLength(20_040);
    const lake = (await queryLake<{ invoice_id: string }>(env, 'SELECT invoice_id::VARCHAR AS invoice_id FROM invoices ORDER BY invoice_id')).map((r) => r.invoice_id);
    expect(lake.length).toBe(source.length);
    expect(lake).toEqual(source);
    const [totals] = await queryLake<{ n: string; rolled_back: string }>(
      env,
      `SELECT count(*)::VARCHAR AS n, count(*) FILTER (WHERE invoice_id BETWEEN 100001 AND 105000)::VARCHAR AS rolled_back FROM invoices`,
    );
    expect(totals).toEqual({ n: '20040', rolled_back: '0' });

    const stats = await slotStats('invoice_lake');
    expect(Number(stats.stream_txns)).toBeGreaterThan(0);
    expect(Number(stats.stream_bytes)).toBeGreaterThan(0);
    expect(stats.spill_txns).toBe('0');
    expect(stats.spill_bytes).toBe('0');
  });

  /** The walsender reports slot statistics on its own schedule: wait until streaming shows up. */
  async function slotStats(slot: string): Promise<SlotStats> {
    let stats: SlotStats | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      [stats] = await db.query<SlotStats>(
        `SELECT stream_txns::text, stream_count::text, stream_bytes::text, spill_txns::text, spill_bytes::text
           FROM pg_stat_replication_slots WHERE slot_name = $1`,
        [slot],
      );
      if (stats && Number(stats.stream_txns) > 0) return stats;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return stats ?? { stream_txns: '0', stream_count: '0', stream_bytes: '0', spill_txns: '0', spill_bytes: '0' };
  }
});
