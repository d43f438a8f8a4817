import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { insertInvoices, startBenchDatabase } from '../bench-database.ts';
import { ProcessSampler } from '../process-sampler.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { currentSnapshot } from '../../src/lake/lake-table.ts';
import { CLI, benchCliEnv } from '../cli-env.ts';


export interface HugeTransactionResult {
  rows: number;
  /** The server's setting during the run: a transaction above it is streamed (or, without streaming, spilled). */
  logicalDecodingWorkMem: string;
  /** Time of the INSERT ... SELECT and its COMMIT on the source. */
  insertSeconds: number;
  /** From the COMMIT returning until the lake's current snapshot holds all rows. */
  secondsToLake: number;
  /** Daemon peak RSS before the transaction started, and over the whole run. */
  idlePeakRssMb: number;
  peakRssMb: number;
  /** pg_stat_replication_slots for the invoice_lake slot: bytes the server wrote to its own disk, and streamed. */
  spillBytes: number;
  spillTxns: number;
  streamBytes: number;
  streamTxns: number;
  streamCount: number;
}

/**
 * Workload 3: one transaction of `rows` invoices committed while the daemon
 * streams. With pgoutput protocol 2 the server streams it while it is in
 * progress once it exceeds logical_decoding_work_mem (spill bytes stay 0) and
 * the daemon spools it to local files, so its memory must not grow with the
 * transaction. Measures the time from COMMIT to the rows being in the lake.
 */
export async function hugeTransaction(options: {
  rows: number;
  customers: number;
  log: (line: string) => void;
  /** e.g. '64kB', so a quick run still exceeds it; the server default (64MB) otherwise. */
  logicalDecodingWorkMem?: string;
}): Promise<HugeTransactionResult> {
  const db = await startBenchDatabase(options.customers);
  try {
    const workMem = await setWorkMem(db.client, options.logicalDecodingWorkMem);
    const lakeDir = await mkdtemp(join(tmpdir(), 'bench-lake-'));
    const env = benchCliEnv({ DATABASE_URL: db.url, LAKE: lakeDir });
    await run([CLI, 'setup'], env);

    const daemon = spawn(process.execPath, [CLI, 'run'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    daemon.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => daemon.on('close', resolve));
    const sampler = new ProcessSampler(daemon.pid!);
    try {
      await waitForActiveSlot(db.client);
      const idlePeakRssBytes = sampler.peakRssBytes;

      options.log(`inserting ${options.rows} invoices in one transaction (logical_decoding_work_mem ${workMem}) ...`);
      const insertStarted = performance.now();
      await db.client.query('BEGIN');
      await insertInvoices(db.client, options.rows, options.rows, options.customers);
      await db.client.query('COMMIT');
      const committed = performance.now();

      options.log('waiting until the lake holds every row ...');
      await waitForLakeRows(db.url, lakeDir, options.rows);
      const inLake = performance.now();
      const stats = await slotStats(db.client);

      daemon.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`the daemon exited with ${code} after SIGTERM: ${stderr}`);
      sampler.stop();
      return {
        rows: options.rows,
        logicalDecodingWorkMem: workMem,
        insertSeconds: (committed - insertStarted) / 1000,
        secondsToLake: (inLake - committed) / 1000,
        idlePeakRssMb: idlePeakRssBytes / 2 ** 20,
        peakRssMb: sampler.peakRssBytes / 2 ** 20,
        ...stats,
      };
    } finally {
      sampler.stop();
      if (daemon.exitCode === null && daemon.signalCode === null) {
        daemon.kill('SIGKILL');
        await exited;
      }
    }
  } finally {
    await db.stop();
  }
}

/** Sets logical_decoding_work_mem server-wide and waits for the reload (asynchronous) to apply it; returns the value in effect. */
async function setWorkMem(client: pg.Client, value: string | undefined): Promise<string> {
  const show = async () => (await client.query<{ logical_decoding_work_mem: string }>('SHOW logical_decoding_work_mem')).rows[0]!.logical_decoding_work_mem;
  const before = await show();
  if (!value || value.toLowerCase() === before.toLowerCase()) return before;
  await client.query(`ALTER SYSTEM SET logical_decoding_work_mem = '${value.replace(/'/g, "''")}'`);
  await client.query('SELECT pg_reload_conf()');
  for (let attempt = 0; attempt < 100; attempt++) {
    const now = await show();
    if (now !== before) return now;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`logical_decoding_work_mem is still ${before} after setting ${value}`);
}

async function waitForActiveSlot(client: pg.Client): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const { rows } = await client.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'invoice_lake' AND active`);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the daemon never started streaming');
}

/** Polls the lake's current snapshot summary (catalog row + metadata JSON): cheap next to a query. */
async function waitForLakeRows(url: string, lakeDir: string, rows: number): Promise<void> {
  const lake = await openLake({ lake: lakeDir, catalog: 'jdbc', catalogUrl: url, catalogName: 'invoice_lake', catalogSchema: 'invoice_lake_catalog', namespace: 'lake' });
  try {
    const deadline = performance.now() + 30 * 60_000;
    while (performance.now() < deadline) {
      const { metadata } = await lake.table('invoices').load();
      if (Number(currentSnapshot(metadata)?.summary['total-records'] ?? 0) >= rows) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the lake never reached ${rows} invoices`);
  } finally {
    await lake.close();
  }
}

/** The walsender reports its statistics on its own schedule: wait briefly for the transaction to show up. */
async function slotStats(client: pg.Client): Promise<Pick<HugeTransactionResult, 'spillBytes' | 'spillTxns' | 'streamBytes' | 'streamTxns' | 'streamCount'>> {
  let stats = { spillBytes: 0, spillTxns: 0, streamBytes: 0, streamTxns: 0, streamCount: 0 };
  for (let attempt = 0; attempt < 25; attempt++) {
    const { rows } = await client.query<Record<string, string>>(
      `SELECT spill_bytes::text, spill_txns::text, stream_bytes::text, stream_txns::text, stream_count::text
         FROM pg_stat_replication_slots WHERE slot_name = 'invoice_lake'`,
    );
    const row = rows[0];
    if (row) {
      stats = {
        spillBytes: Number(row.spill_bytes),
        spillTxns: Number(row.spill_txns),
        streamBytes: Number(row.stream_bytes),
        streamTxns: Number(row.stream_txns),
        streamCount: Number(row.stream_count),
      };
    }
    if (stats.streamTxns + stats.spillTxns > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return stats;
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${args.join(' ')} failed (${code}): ${stderr}`);
}
