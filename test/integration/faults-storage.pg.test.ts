import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { killAllDaemons, logsMatching, startDaemon, type Daemon } from '../support/daemon.ts';
import { startFaultyS3Proxy, type FaultyS3Proxy } from '../support/faulty-s3-proxy.ts';
import {
  currentMetadataProblems,
  diffInvoices,
  lakeInvoices,
  NO_DIFF,
  sourceInvoices,
  startInvoiceWriter,
  stopAllWriters,
  waitForLakeToCatchUp,
} from '../support/lake-checks.ts';
import { onS3, ownSourceEnv, SOURCE_DDL } from '../support/lake-env.ts';
import { startRestartableDatabase, type RestartableDatabase } from '../support/restartable-database.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { mountSmallDisk, type SmallDisk } from '../support/small-disk.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The lake's storage fails under a running daemon — its disk full, its
 * object store unreachable — and recovers. Storage failures are transient:
 * the daemon keeps running, retries with backoff, keeps its memory bounded
 * and never leaves a half-written metadata file current; once the storage is
 * back it resumes and the lake equals the source.
 */
describe('lake storage faults under a running daemon', () => {
  let db: RestartableDatabase;
  let disk: SmallDisk | undefined;
  let s3: TestS3Server;
  let faulty: FaultyS3Proxy;
  let s3Link: TcpProxy;

  beforeAll(async () => {
    [db, s3] = await Promise.all([startRestartableDatabase(), startS3Server()]);
    await db.query(SOURCE_DDL);
    faulty = await startFaultyS3Proxy(s3.endpoint);
    // daemon → TCP proxy (blackhole) → fault proxy (error answers) → s3rver
    s3Link = await startTcpProxy('127.0.0.1', Number(new URL(faulty.endpoint).port));
  });
  afterEach(async () => {
    faulty?.reset();
    s3Link?.forward();
    await stopAllWriters();
    await killAllDaemons();
  });
  afterAll(async () => {
    await disk?.unmount();
    await s3Link?.stop();
    await faulty?.stop();
    await s3?.stop();
    await db?.stop();
  });

  async function startStreaming(name: string, env: Record<string, string>): Promise<Daemon> {
    const setup = await runCli(['setup'], env);
    expect(setup.code, setup.stderr).toBe(0);
    const daemon = startDaemon(name, ['run'], env);
    expect(await daemon.waitForLog(/"msg":"streaming"/, 60_000), daemon.describe()).toBeDefined();
    return daemon;
  }

  /** Alive, caught up, stops with exit 0, and the lake equals the source. */
  async function expectResumedAndEqual(daemon: Daemon, env: Record<string, string>, timeoutMs: number): Promise<void> {
    const progress = await waitForLakeToCatchUp(db, env, { timeoutMs, table: env.SOURCE_TABLE, alive: () => daemon.result === undefined });
    expect(daemon.result, `the daemon must keep running\n${daemon.describe()}`).toBeUndefined();
    expect(progress, daemon.describe()).toMatchObject({ caughtUp: true });
    const stopped = await daemon.stop();
    expect(stopped.code, daemon.describe()).toBe(0);
    expect(diffInvoices(await sourceInvoices(db, env.SOURCE_TABLE), await lakeInvoices(env))).toEqual(NO_DIFF);
  }

  it('a full lake disk: retries with backoff, keeps every table\'s metadata readable, resumes when space is freed', async (context) => {
    const mounted = await mountSmallDisk(24);
    if ('unavailable' in mounted) return context.skip(`no small disk for the lake: ${mounted.unavailable}`);
    disk = mounted;
    const lakeDirectory = join(disk.path, 'lake');
    await mkdir(lakeDirectory);
    const env: Record<string, string> = { ...(await ownSourceEnv(db, 'disk_full', { LOG_LEVEL: 'info' })), LAKE: lakeDirectory };
    const daemon = await startStreaming('run (lake on a small disk)', env);

    // Every current metadata file stays readable, whatever the disk does.
    const metadataProblems: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        metadataProblems.push(...(await currentMetadataProblems(db, env.CATALOG_NAME!, lakeDirectory)));
        await sleep(200);
      }
    })();

    try {
      const before = startInvoiceWriter(db, { table: env.SOURCE_TABLE, firstId: 1, perTransaction: 25, pauseMs: 30, maxRows: 500 });
      await before.stop();
      expect(await daemon.waitForLog(/"msg":"lake commit"/, 60_000), daemon.describe()).toBeDefined();

      const filled = await disk.fill();
      expect(filled).toBeGreaterThan(0);
      expect(await disk.freeBytes()).toBeLessThan(64 * 1024);
      const logsAtFull = daemon.logs().length;
      const during = startInvoiceWriter(db, { table: env.SOURCE_TABLE, firstId: 501, perTransaction: 25, pauseMs: 30, maxRows: 500 });
      await during.stop();
      const failed = await daemon.waitForLog((line) => /ENOSPC|no space/i.test(JSON.stringify(line)), 60_000, logsAtFull);
      expect(failed, `the daemon meets the full disk\n${daemon.describe()}`).toBeDefined();
      // Full for a while: the daemon waits it out instead of dying or spinning.
      await sleep(8_000);
      expect(daemon.result, `the daemon must not die of a full disk\n${daemon.describe()}`).toBeUndefined();
      const attempts = daemon.logs().slice(logsAtFull).filter((line) => /ENOSPC|no space/i.test(JSON.stringify(line)) && (line.level as number) >= 40);
      console.info(`disk full for ~8 s: ${attempts.length} failed attempt(s) logged: ${attempts.map((line) => String(line.err ?? line.msg).slice(0, 160)).join(' | ')}`);
      expect(attempts.length, 'failures are logged as warnings, each a retry').toBeGreaterThan(0);
      expect(attempts.length, `retries back off (not one per batch delay)\n${daemon.describe()}`).toBeLessThanOrEqual(12);
      expect(attempts.every((line) => line.level !== 50 && line.level !== 60), 'a transient failure is a warning').toBe(true);

      await disk.free();
      const after = startInvoiceWriter(db, { table: env.SOURCE_TABLE, firstId: 1001, perTransaction: 25, pauseMs: 30, maxRows: 300 });
      await after.stop();
      await expectResumedAndEqual(daemon, env, 90_000);
    } finally {
      watching = false;
      await watcher;
    }
    expect(metadataProblems, 'no table\'s current metadata was ever unreadable').toEqual([]);
    expect(logsMatching(daemon, /resum|reconnect|retry/i).length).toBeGreaterThan(0);
  });

  it('object storage unreachable for 30 s (errors, then a blackhole): keeps running with bounded memory, then resumes', async () => {
    const env: Record<string, string> = { ...onS3(await ownSourceEnv(db, 'store_down', { LOG_LEVEL: 'info' }), s3), S3_ENDPOINT: `http://127.0.0.1:${s3Link.port}` };
    const daemon = await startStreaming('run (lake on S3 behind proxies)', env);
    const writer = startInvoiceWriter(db, { table: env.SOURCE_TABLE, firstId: 1, perTransaction: 30, pauseMs: 250 });
    expect(await daemon.waitForLog(/"msg":"lake commit"/, 60_000), daemon.describe()).toBeDefined();
    const logsAtOutage = daemon.logs().length;

    const rssMb: number[] = [];
    const sample = setInterval(() => {
      const rss = daemon.rssMb();
      if (rss !== undefined) rssMb.push(rss);
    }, 500);
    try {
      // 20 s: every request answered with an error or cut.
      faulty.failEvery(1, ['serviceUnavailable', 'internalError', 'resetRequest', 'slowDown']);
      await sleep(20_000);
      expect(daemon.result, `the daemon must ride out the outage\n${daemon.describe()}`).toBeUndefined();
      // 10 s: nothing answers at all; open connections are cut.
      faulty.reset();
      s3Link.cutAll();
      s3Link.blackhole();
      await sleep(10_000);
      expect(daemon.result, `the daemon must ride out the outage\n${daemon.describe()}`).toBeUndefined();
      s3Link.forward();
      await sleep(2_000);
      await writer.stop();
      await expectResumedAndEqual(daemon, env, 150_000);
    } finally {
      clearInterval(sample);
    }
    expect(daemon.logs().slice(logsAtOutage).some((line) => (line.level as number) >= 40), `the outage is reported\n${daemon.describe()}`).toBe(true);
    const warnings = daemon.logs().slice(logsAtOutage).filter((line) => (line.level as number) >= 40);
    console.info(`S3 outage: peak RSS ${Math.round(Math.max(...rssMb))} MB over ${rssMb.length} samples; ${warnings.length} warning(s), first: ${String(warnings[0]?.err ?? warnings[0]?.msg).slice(0, 200)}`);
    expect(rssMb.length).toBeGreaterThan(10);
    expect(Math.max(...rssMb), 'resident memory stays bounded during the outage (MB)').toBeLessThan(700);
  });
});
