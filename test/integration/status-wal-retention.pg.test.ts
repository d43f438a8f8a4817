import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { lakeEnv, SOURCE_DDL } from '../support/lake-env.ts';
import { runCli } from '../support/cli.ts';
import { loadSettings } from '../../src/config/load-config.ts';
import { statusCommand } from '../../src/cli/status-command.ts';

/**
 * `status` (and `setup`) show what the slot holds back on the source: its
 * wal_status, the WAL it retains, and a warning while max_slot_wal_keep_size
 * is -1 (an abandoned slot fills the source's disk). A lost slot is an error
 * with the fix. These run in order: the last case caps max_slot_wal_keep_size
 * for the whole server.
 */

let db: TestDatabase;
let env: Record<string, string>;

interface StatusJson {
  slot: { name: string; walStatus: string | null; retainedBytes: string | null; maxSlotWalKeepSizeBytes: string | null } | null;
  notes: Array<{ level: string; problem: string; fix: string }>;
}

beforeAll(async () => {
  db = await startTestDatabase('wal_retention');
  await db.query(SOURCE_DDL);
  env = await lakeEnv(db);
});

afterAll(async () => {
  await db?.stop();
  if (env) await rm(env.LAKE!, { recursive: true, force: true });
});

describe('WAL retention of the slot', () => {
  it('setup shows wal_status and retained WAL, and warns about the unbounded default', async () => {
    const setup = await runCli(['setup'], env);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toMatch(/^ {2}retains .* of WAL \(\d+ bytes\), wal_status reserved, max_slot_wal_keep_size unlimited$/m);
    expect(setup.stdout).toMatch(/^warning: replication slot invoice_lake can retain unbounded WAL \(max_slot_wal_keep_size = -1\)/m);
    expect(setup.stdout).toMatch(/^ {2}fix: .*max_slot_wal_keep_size.*pg_drop_replication_slot\('invoice_lake'\)/m);
  });

  it('status prints the same, and --json carries the numbers and the warning', async () => {
    await db.query(`INSERT INTO invoices (issue_date, issuer_id, receiver_id, amount) VALUES (now(), 1, 2, 10.00)`); // some WAL to retain
    const status = await runCli(['status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^slot invoice_lake: idle, /m);
    expect(status.stdout).toMatch(/^ {2}retains .* of WAL \(\d+ bytes\), wal_status reserved, max_slot_wal_keep_size unlimited$/m);
    expect(status.stdout).toMatch(/^warning: replication slot invoice_lake can retain unbounded WAL/m);

    const json = await runCli(['status', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as StatusJson;
    expect(report.slot).toMatchObject({ name: 'invoice_lake', walStatus: 'reserved', maxSlotWalKeepSizeBytes: null });
    expect(BigInt(report.slot!.retainedBytes!)).toBeGreaterThan(0n);
    expect(report.notes).toEqual([expect.objectContaining({ level: 'warning', problem: expect.stringContaining('unbounded WAL') })]);
  });

  it('a lost slot: status shows the error with its fix (statusCommand then fails, exit 2); setup refuses to reuse the slot', async () => {
    await db.query(`ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'`);
    await db.query('SELECT pg_reload_conf()');
    await db.query(`CREATE TABLE filler AS SELECT repeat('x', 1000) AS pad FROM generate_series(1, 20000)`); // ~20 MB of WAL
    await db.query('SELECT pg_switch_wal()');
    await db.query('CHECKPOINT'); // invalidates slots past max_slot_wal_keep_size
    const [slot] = await db.query<{ wal_status: string }>(`SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'invoice_lake'`);
    expect(slot!.wal_status).toBe('lost');

    const status = await runCli(['status'], env);
    expect(status.stdout).toMatch(/wal_status lost, max_slot_wal_keep_size 1\.0 MB/);
    expect(status.stdout).toMatch(/^error: replication slot invoice_lake is lost/m);
    expect(status.stdout).toMatch(/^ {2}fix: drop the slot and re-run setup: SELECT pg_drop_replication_slot\('invoice_lake'\); then invoice-lake setup\. The lake then misses the changes/m);
    expect(status.stdout).not.toMatch(/unbounded/);

    const lines: string[] = [];
    const failure = await statusCommand(loadSettings({}, env), { json: false }, (text) => lines.push(text)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(lines.join('')).toMatch(/^error: replication slot invoice_lake is lost/m);
    expect(failure).toMatchObject({ kind: 'source-setup', exitCode: 2, message: expect.stringContaining('replication slot invoice_lake is lost') });

    const setup = await runCli(['setup'], env);
    expect(setup.code).toBe(2);
    expect(setup.stderr).toMatch(/replication slot invoice_lake is lost/);
    expect(setup.stderr).toMatch(/pg_drop_replication_slot\('invoice_lake'\)/);
  });
});
