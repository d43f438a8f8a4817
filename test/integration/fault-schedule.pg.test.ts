import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, SHIPPED_JOBS_DIR } from '../support/cli.ts';
import { killAllDaemons, logsMatching, startDaemon, type Daemon } from '../support/daemon.ts';
import { faultSchedule, faultSeed, type FaultEvent } from '../support/fault-schedule.ts';
import {
  asMillis,
  diffInvoices,
  icebirdInvoices,
  lakeInvoices,
  NO_DIFF,
  sourceInvoices,
  startInvoiceWriter,
  stopAllWriters,
  waitForLakeToCatchUp,
  type InvoiceRow,
} from '../support/lake-checks.ts';
import { lakeEnv, queryLake, SOURCE_DDL } from '../support/lake-env.ts';
import { startRestartableDatabase, type RestartableDatabase } from '../support/restartable-database.ts';

const SOURCES_FILE = fileURLToPath(new URL('../../sources.yaml', import.meta.url));
const SEED = faultSeed();
const SCHEDULE = faultSchedule(SEED, { extra: 4, minGapMs: 4_000, maxGapMs: 9_000 });
/** A second writer that neither ends nor is fenced within this is hung. */
const SECOND_WRITER_LIMIT_MS = 150_000;
/** A fenced writer's refusal: another process took over the lake table (exit 2, by design). */
const FENCED = /another writer took over/i;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Exit {
  who: string;
  code: number | null;
  signal: string | null;
  error: string;
}

/**
 * The acceptance test: a stream of inserts while a seeded random schedule
 * kills the daemon (kill -9, then restarts it), restarts PostgreSQL (fast and
 * immediate), and runs a second writer (`run --once` from another slot) into
 * the same lake. The test restarts the daemon whenever it ends, as a process
 * supervisor would. At the end the lake's invoices equal the source (by
 * `invoice-lake query` and by icebird) and the on-commit jobs' outputs hold
 * each key once.
 */
describe(`random fault schedule (seed ${SEED})`, () => {
  let db: RestartableDatabase;
  let env: Record<string, string>;
  let secondEnv: Record<string, string>;
  const log: string[] = [];
  /** Ends of the daemon that the schedule did not cause, and ends of second writers. */
  const unplannedExits: Exit[] = [];
  const secondWriterExits: Exit[] = [];
  const daemons: Daemon[] = [];
  let source: InvoiceRow[] | undefined;

  beforeAll(async () => {
    console.info(`fault schedule seed ${SEED} (replay: FAULT_SEED=${SEED} npx vitest run test/integration/fault-schedule.pg.test.ts)`);
    console.info(`schedule: ${SCHEDULE.map((event) => `+${(event.atMs / 1000).toFixed(1)}s ${event.kind}${event.downMs ? ` (down ${event.downMs} ms)` : ''}`).join(', ')}`);
    db = await startRestartableDatabase();
    await db.query(SOURCE_DDL);
    // The shipped on-commit jobs (not the 10-minute one, which would only add load).
    const jobsDir = await mkdtemp(join(tmpdir(), 'invoice-lake-schedule-jobs-'));
    for (const job of ['invoices_enriched.sql', 'customer_monthly_totals.sql']) await copyFile(join(SHIPPED_JOBS_DIR, job), join(jobsDir, job));
    env = await lakeEnv(db, { LOG_LEVEL: 'info', JOBS_DIR: jobsDir, SOURCES_FILE, JOBS_MIN_INTERVAL_MS: '1000', BATCH_MAX_DELAY_MS: '200' });
    secondEnv = { ...env, SLOT_NAME: 'second_writer', PUBLICATION_NAME: 'second_writer' };
    for (const each of [env, secondEnv]) {
      const setup = await runCli(['setup'], each);
      expect(setup.code, setup.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await stopAllWriters();
    await killAllDaemons();
    await db?.stop();
  });

  const note = (started: number, line: string) => {
    const entry = `+${((Date.now() - started) / 1000).toFixed(1)}s ${line}`;
    log.push(entry);
    console.info(entry);
  };

  const errorOf = (stderr: string) => (/^error: .*$/m.exec(stderr)?.[0] ?? stderr.trimEnd().split('\n').slice(-2).join(' ')).slice(0, 400);

  it('streams through the whole schedule', async () => {
    const started = Date.now();
    let current: Daemon | undefined;
    let supervising = true;
    let plannedExit = false;
    let generation = 0;

    /** Starts the daemon; when it ends without the schedule having caused it, notes why and starts it again. */
    const startMain = () => {
      const daemon = startDaemon(`run #${++generation}`, ['run'], env);
      daemons.push(daemon);
      current = daemon;
      void daemon.exited.then(async (result) => {
        if (plannedExit || !supervising) return;
        const exit = { who: daemon.name, code: result.code, signal: result.signal, error: errorOf(result.stderr) };
        unplannedExits.push(exit);
        note(started, `${daemon.name} ended by itself: code ${exit.code} signal ${exit.signal}: ${exit.error}`);
        await sleep(1_000);
        if (supervising && current === daemon) startMain();
      });
    };

    let secondWriter: Promise<void> | undefined;
    const runSecondWriter = () => {
      const writer = startDaemon('second writer (run --once, slot second_writer)', ['run', '--once'], secondEnv);
      secondWriter = (async () => {
        const result = await writer.exitWithin(SECOND_WRITER_LIMIT_MS);
        if (!result) await writer.kill9();
        const exit = { who: writer.name, code: result ? result.code : null, signal: result ? result.signal : 'hung', error: result ? errorOf(result.stderr) : 'did not exit' };
        secondWriterExits.push(exit);
        note(started, `second writer ended: code ${exit.code}${result?.code ? `: ${exit.error}` : ''}${result ? ` ${result.stdout.trim()}` : ' (hung, killed)'}`);
      })().finally(() => (secondWriter = undefined));
    };

    const apply = async (event: FaultEvent) => {
      switch (event.kind) {
        case 'kill-9': {
          const victim = current!;
          if (victim.result) {
            note(started, `kill -9: ${victim.name} already ended, the supervisor restarts it`);
            return;
          }
          plannedExit = true;
          await victim.kill9();
          note(started, `kill -9 ${victim.name}; restarting it in ${event.downMs} ms`);
          await sleep(event.downMs);
          plannedExit = false;
          startMain();
          return;
        }
        case 'restart-fast':
        case 'restart-immediate': {
          const mode = event.kind === 'restart-fast' ? 'fast' : 'immediate';
          note(started, `pg_ctl restart -m ${mode} (down ${event.downMs} ms)`);
          await db.restart(mode, event.downMs);
          note(started, 'PostgreSQL is back');
          return;
        }
        case 'second-writer':
          if (secondWriter) {
            note(started, 'second writer: the previous one still runs, skipped');
            return;
          }
          note(started, 'second writer starts');
          runSecondWriter();
      }
    };

    startMain();
    expect(await current!.waitForLog(/"msg":"streaming"/, 60_000), current!.describe()).toBeDefined();
    const writer = startInvoiceWriter(db, { firstId: 1, perTransaction: 10, pauseMs: 120 });
    const scheduleStart = Date.now();
    for (const event of SCHEDULE) {
      await sleep(Math.max(0, event.atMs - (Date.now() - scheduleStart)));
      await apply(event);
    }
    await sleep(3_000);
    await writer.stop();
    note(started, `inserts stopped at invoice ${writer.nextId - 1}`);
    await secondWriter;

    const progress = await waitForLakeToCatchUp(db, env, { timeoutMs: 120_000 });
    note(started, `lake ${progress.lakeCount} rows, source ${progress.sourceCount}`);
    supervising = false;
    const last = current!;
    const stopped = await last.stop();
    expect(progress, `the daemon caught up with the source\n${last.describe()}\nschedule:\n${log.join('\n')}`).toMatchObject({ caughtUp: true });
    expect(stopped.code, `the last daemon stops cleanly\n${last.describe()}`).toBe(0);
    // The on-commit jobs catch up on what the last commits added.
    const drained = await runCli(['run', '--once'], env);
    expect(drained.code, drained.stderr).toBe(0);
    source = await sourceInvoices(db);
    expect(source.length).toBeGreaterThan(1_000);
  }, 420_000);

  it('the lake equals the source, read by invoice-lake query', async () => {
    expect(source, 'the schedule ran').toBeDefined();
    expect(diffInvoices(source!, await lakeInvoices(env)), `schedule:\n${log.join('\n')}`).toEqual(NO_DIFF);
  });

  it('the lake equals the source, read by icebird', async () => {
    expect(source, 'the schedule ran').toBeDefined();
    expect(diffInvoices(asMillis(source!), await icebirdInvoices(env.LAKE!))).toEqual(NO_DIFF);
  });

  it('the on-commit jobs\' outputs hold each key once, and every invoice is enriched', async () => {
    expect(source, 'the schedule ran').toBeDefined();
    const duplicatedEnriched = await queryLake(env, 'SELECT invoice_id::VARCHAR AS id, count(*)::VARCHAR AS n FROM invoices_enriched GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 20');
    expect(duplicatedEnriched).toEqual([]);
    const duplicatedTotals = await queryLake(
      env,
      'SELECT customer_id::VARCHAR AS customer, month::VARCHAR AS month, count(*)::VARCHAR AS n FROM customer_monthly_totals GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 20',
    );
    expect(duplicatedTotals).toEqual([]);
    const [coverage] = await queryLake<{ enriched: string; invoices: string; missing: string }>(
      env,
      `SELECT (SELECT count(DISTINCT invoice_id) FROM invoices_enriched)::VARCHAR AS enriched, (SELECT count(DISTINCT invoice_id) FROM invoices)::VARCHAR AS invoices,
              (SELECT count(*) FROM invoices i WHERE NOT EXISTS (SELECT 1 FROM invoices_enriched e WHERE e.invoice_id = i.invoice_id))::VARCHAR AS missing`,
    );
    expect(coverage).toEqual({ enriched: String(source!.length), invoices: String(source!.length), missing: '0' });
  });

  it('the daemon ended only when killed, or fenced by the second writer; second writers ended (0, or 2 when fenced)', () => {
    expect(source, 'the schedule ran').toBeDefined();
    expect(unplannedExits.filter((exit) => !(exit.code === 2 && FENCED.test(exit.error))), `schedule:\n${log.join('\n')}`).toEqual([]);
    expect(secondWriterExits.length, 'a second writer ran').toBeGreaterThan(0);
    expect(secondWriterExits.filter((exit) => !(exit.code === 0 || (exit.code === 2 && FENCED.test(exit.error)))), `schedule:\n${log.join('\n')}`).toEqual([]);
    const reconnects = daemons.flatMap((daemon) => logsMatching(daemon, /reconnect|resum/i));
    expect(reconnects.length, 'the daemon reported reconnecting after PostgreSQL restarts').toBeGreaterThan(0);
  });
});
