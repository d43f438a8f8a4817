import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { killAllDaemons, logsMatching, startDaemon, type Daemon } from '../support/daemon.ts';
import { diffInvoices, lakeInvoices, NO_DIFF, sourceInvoices, startInvoiceWriter, stopAllWriters, waitForLakeToCatchUp } from '../support/lake-checks.ts';
import { ownSourceEnv, SOURCE_DDL } from '../support/lake-env.ts';
import { startRestartableDatabase, type RestartableDatabase } from '../support/restartable-database.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/**
 * The source database goes away under a running daemon — restarted (fast:
 * sessions terminated; immediate: a crash, recovery on start) or its
 * connections cut by the network — and comes back. The daemon keeps running,
 * says it is reconnecting, resumes from the acknowledged position, and the
 * lake ends equal to the source: every invoice exactly once.
 */
describe('PostgreSQL faults under a running daemon', () => {
  let db: RestartableDatabase;
  let proxy: TcpProxy;

  beforeAll(async () => {
    db = await startRestartableDatabase();
    await db.query(SOURCE_DDL);
    proxy = await startTcpProxy('127.0.0.1', db.control.port()!);
  });
  afterEach(async () => {
    proxy?.forward();
    await stopAllWriters();
    await killAllDaemons();
  });
  afterAll(async () => {
    await proxy?.stop();
    await db?.stop();
  });

  /** A source table, slot and lake of its own; info logs, so the daemon's reconnects are visible. */
  async function prepare(name: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const env = await ownSourceEnv(db, name, { LOG_LEVEL: 'info', BATCH_MAX_DELAY_MS: '200', ...extra });
    const setup = await runCli(['setup'], env);
    expect(setup.code, setup.stderr).toBe(0);
    return env;
  }

  async function startStreaming(name: string, env: Record<string, string>): Promise<Daemon> {
    const daemon = startDaemon(name, ['run'], env);
    expect(await daemon.waitForLog(/"msg":"streaming"/, 60_000), daemon.describe()).toBeDefined();
    return daemon;
  }

  /** The daemon is alive, has caught up with the source, stops cleanly on SIGTERM, and the lake equals the source. */
  async function expectResumedAndEqual(daemon: Daemon, env: Record<string, string>): Promise<void> {
    const progress = await waitForLakeToCatchUp(db, env, { timeoutMs: 90_000, table: env.SOURCE_TABLE, alive: () => daemon.result === undefined });
    expect(daemon.result, `the daemon must keep running\n${daemon.describe()}`).toBeUndefined();
    expect(progress, daemon.describe()).toMatchObject({ caughtUp: true });
    const stopped = await daemon.stop();
    expect(stopped.code, daemon.describe()).toBe(0);
    const diff = diffInvoices(await sourceInvoices(db, env.SOURCE_TABLE), await lakeInvoices(env));
    expect(diff).toEqual(NO_DIFF);
  }

  it.each(['fast', 'immediate'] as const)('keeps running across pg_ctl restart -m %s and ends equal to the source', async (mode) => {
    const env = await prepare(`restart_${mode}`);
    const daemon = await startStreaming(`run (restart -m ${mode})`, env);
    const writer = startInvoiceWriter(db, { table: env.SOURCE_TABLE, firstId: 1, perTransaction: 25, pauseMs: 40, maxRows: 2_000 });
    expect(await daemon.waitForLog(/"msg":"lake commit"/, 60_000), daemon.describe()).toBeDefined();

    // Down for a moment, so the daemon also meets "connection refused" while reconnecting.
    await db.restart(mode, 1_500);
    expect(daemon.result, `the daemon must survive the restart\n${daemon.describe()}`).toBeUndefined();
    await writer.stop();

    await expectResumedAndEqual(daemon, env);
    expect(logsMatching(daemon, /reconnect|resum/i).length, `it must log that it is reconnecting\n${daemon.describe()}`).toBeGreaterThan(0);
  });

  it('reconnects after a proxy cuts every connection, refuses, then blackholes new ones', async () => {
    const direct = await prepare('proxied');
    // The daemon reaches PostgreSQL (source and JDBC catalog) only through the proxy.
    const env: Record<string, string> = { ...direct, DATABASE_URL: proxy.url(db.url) };
    const daemon = await startStreaming('run (behind the proxy)', env);
    const writer = startInvoiceWriter(db, { table: env.SOURCE_TABLE, firstId: 1, perTransaction: 25, pauseMs: 40, maxRows: 2_000 });
    expect(await daemon.waitForLog(/"msg":"lake commit"/, 60_000), daemon.describe()).toBeDefined();
    const connectionsBefore = proxy.forwarded;

    const logsAtCut = daemon.logs().length;
    proxy.cutAll();
    proxy.refuse();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    proxy.forward();
    // Wait for it to be streaming again, then cut again and let new connections hang unanswered.
    expect(await daemon.waitForLog(/"msg":"streaming"/, 60_000, logsAtCut), daemon.describe()).toBeDefined();
    proxy.cutAll();
    proxy.blackhole();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    proxy.forward();
    await writer.stop();

    await expectResumedAndEqual(daemon, env);
    expect(proxy.forwarded, 'the daemon opened new connections through the proxy').toBeGreaterThan(connectionsBefore);
    expect(logsMatching(daemon, /reconnect|resum/i).length, `it must log that it is reconnecting\n${daemon.describe()}`).toBeGreaterThan(0);
  });

  it('a run and a run --once started while PostgreSQL is down wait for it, then stream (an on-commit job configured)', async () => {
    const jobsDir = await mkdtemp(join(tmpdir(), 'invoice-lake-down-jobs-'));
    await writeFile(join(jobsDir, 'invoice_ids.sql'), '-- schedule: on-commit invoices\n-- output: invoice_ids\n-- mode: append\n--\n-- Each new invoice id once.\nSELECT invoice_id FROM invoices_delta\n');
    const daemonEnv = await prepare('started_down', { JOBS_DIR: jobsDir });
    const onceEnv = await prepare('started_down_once', { JOBS_DIR: jobsDir });
    const daemonRows = startInvoiceWriter(db, { table: daemonEnv.SOURCE_TABLE, firstId: 1, perTransaction: 50, pauseMs: 0, maxRows: 300 });
    const onceRows = startInvoiceWriter(db, { table: onceEnv.SOURCE_TABLE, firstId: 1, perTransaction: 50, pauseMs: 0, maxRows: 300 });
    await Promise.all([daemonRows.stop(), onceRows.stop()]);

    await db.control.stop('fast');
    let daemon: Daemon;
    let once: Daemon;
    try {
      daemon = startDaemon('run (started while PostgreSQL is down)', ['run'], daemonEnv);
      once = startDaemon('run --once (started while PostgreSQL is down)', ['run', '--once'], onceEnv);
      // Down long enough for both to reach the database in their start.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
    } finally {
      await db.control.start();
    }
    // Soft: the daemon's outcome is checked (and reported) whatever run --once did.
    const onceResult = await once!.exitWithin(120_000);
    expect.soft(onceResult, `run --once must wait for the database and drain\n${once!.describe()}`).toBeDefined();
    expect.soft(onceResult?.code, `run --once must wait for the database and drain\n${once!.describe()}`).toBe(0);
    expect.soft(diffInvoices(await sourceInvoices(db, onceEnv.SOURCE_TABLE), await lakeInvoices(onceEnv))).toEqual(NO_DIFF);
    await expectResumedAndEqual(daemon!, daemonEnv);
  });
});
