import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { killAllDaemons, startDaemon } from '../support/daemon.ts';
import { INSERT_INVOICES } from '../support/lake-checks.ts';
import { ownSourceEnv, SOURCE_DDL } from '../support/lake-env.ts';
import { startRestartableDatabase, type RestartableDatabase } from '../support/restartable-database.ts';

/**
 * The contract: a failure that retrying cannot fix ends the process with exit 2 within 15 s, the cause and the
 * fix on stderr. Asserted with twice that from spawn (the CLI's own start takes seconds on a loaded 2-core
 * machine); a process that retries them (for ever, or for run --once's 120 s budget) still fails.
 */
const EXIT_WITHIN_MS = 30_000;

/**
 * Permanent errors are not retried: a slot invalidated by
 * max_slot_wal_keep_size, a role without the REPLICATION attribute.
 */
describe('permanent source errors', () => {
  let db: RestartableDatabase;
  let nextId = 1;

  beforeAll(async () => {
    db = await startRestartableDatabase();
    await db.query(SOURCE_DDL);
  });
  afterEach(async () => killAllDaemons());
  afterAll(async () => db?.stop());

  async function insert(table: string, count: number): Promise<void> {
    await db.query(INSERT_INVOICES(table), [nextId, nextId + count - 1]);
    nextId += count;
  }

  /** Runs the CLI and returns its result, or fails the test (after killing it) when it does not exit in time. */
  async function exitsInTime(name: string, args: string[], env: Record<string, string>) {
    const daemon = startDaemon(name, args, env);
    const result = await daemon.exitWithin(EXIT_WITHIN_MS);
    if (!result) await daemon.kill9();
    expect(result, `${name} must exit within 15 s, not retry (asserted: ${EXIT_WITHIN_MS / 1000} s)\n${daemon.describe()}`).toBeDefined();
    return { result: result!, describe: daemon.describe() };
  }

  it('a role without REPLICATION: run --once exits 2 with the cause and the fix', async () => {
    const admin = await ownSourceEnv(db, 'no_replication', { LOG_LEVEL: 'info' });
    expect((await runCli(['setup'], admin)).code).toBe(0);
    await db.query(`CREATE ROLE plain_reader LOGIN PASSWORD 'plain-reader' NOREPLICATION NOSUPERUSER`);
    await db.query(`GRANT SELECT ON ${admin.SOURCE_TABLE} TO plain_reader`);
    await insert(admin.SOURCE_TABLE!, 50);
    const url = new URL(db.url);
    url.username = 'plain_reader';
    url.password = 'plain-reader';
    // The catalog stays reachable as before: only the source connection lacks the privilege.
    const env = { ...admin, DATABASE_URL: url.href, CATALOG_URL: db.url };

    const { result, describe: account } = await exitsInTime('run --once as plain_reader', ['run', '--once'], env);
    expect(result.code, account).toBe(2);
    const [error = '', hint = ''] = [/^error: .*$/m.exec(result.stderr)?.[0], /^hint: .*$/m.exec(result.stderr)?.[0]];
    expect(error, `the cause\n${account}`).toMatch(/replication/i);
    expect(error, 'names the role or the missing privilege').toMatch(/plain_reader|superuser or replication role|REPLICATION/i);
    expect(hint, `the fix\n${account}`).toMatch(/ALTER ROLE|REPLICATION/i);
    expect(result.stderr, 'no password in the output').not.toContain('plain-reader@');
  });

  it.each(['run --once', 'run'])('a slot invalidated by max_slot_wal_keep_size: `%s` exits 2 naming the slot and the fix', async (commandLine) => {
    const command = commandLine.split(' ');
    const name = `wal_gone_${command.length}`;
    const env = await ownSourceEnv(db, name, { LOG_LEVEL: 'info' });
    expect((await runCli(['setup'], env)).code).toBe(0);
    await insert(env.SOURCE_TABLE!, 100);
    const drained = await runCli(['run', '--once'], env);
    expect(drained.code, drained.stderr).toBe(0);

    // The daemon is stopped; the source writes on and the server drops WAL the slot still needs.
    const slot = env.SLOT_NAME!;
    await db.query(`ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'`);
    await db.query('SELECT pg_reload_conf()');
    try {
      let status = '';
      for (let round = 0; round < 20 && status !== 'lost'; round++) {
        await insert(env.SOURCE_TABLE!, 200);
        await db.query('SELECT pg_switch_wal()');
        await db.query('CHECKPOINT');
        [{ wal_status: status }] = (await db.query<{ wal_status: string }>('SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1', [slot])) as [{ wal_status: string }];
      }
      expect(status, 'the slot is invalidated').toBe('lost');
    } finally {
      await db.query('ALTER SYSTEM RESET max_slot_wal_keep_size');
      await db.query('SELECT pg_reload_conf()');
    }

    const { result, describe: account } = await exitsInTime(command.join(' '), command, env);
    expect(result.code, account).toBe(2);
    expect(result.stderr, account).toContain(slot);
    expect(result.stderr, `says the slot is invalidated\n${account}`).toMatch(/invalidated|lost/i);
    expect(result.stderr, `names the fix\n${account}`).toMatch(/invoice-lake resync|pg_drop_replication_slot|drop the slot/i);
    expect(result.stdout, 'committed nothing').not.toMatch(/committed [1-9]/);
  });
});
