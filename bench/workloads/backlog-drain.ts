import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchDatabase, insertInvoices } from '../bench-database.ts';
import { ProcessSampler } from '../process-sampler.ts';
import { CLI, benchCliEnv } from '../cli-env.ts';

const BARE = fileURLToPath(new URL('../bare-consumer.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

export interface DrainResult {
  invoices: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  bareNodeRowsPerSecond: number;
  pgRecvlogicalRowsPerSecond: number | null;
}

/**
 * Workload 1: a backlog of invoices committed in 1,000-row transactions after
 * the slots exist; `run --once` drains, scores and commits them. The same
 * data is drained by a bare Node consumer and by pg_recvlogical (when
 * installed) from their own slots, as the ceiling to compare against.
 */
export async function backlogDrain(options: { invoices: number; customers: number; log: (line: string) => void }): Promise<DrainResult> {
  const db = await startBenchDatabase(options.customers);
  try {
    const env = benchCliEnv({ DATABASE_URL: db.url, LAKE: await mkdtemp(join(tmpdir(), 'bench-lake-')) });
    await run([CLI, 'setup'], env);
    await db.client.query(`SELECT pg_create_logical_replication_slot('bench_bare', 'pgoutput')`);
    const recvlogical = spawnSync('pg_recvlogical', ['--version']).status === 0;
    if (recvlogical) await db.client.query(`SELECT pg_create_logical_replication_slot('bench_recvlogical', 'pgoutput')`);
    options.log(`inserting ${options.invoices} invoices in 1,000-row transactions ...`);
    await insertInvoices(db.client, options.invoices, 1000, options.customers);
    const [{ lsn }] = (await db.client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows as [{ lsn: string }];

    options.log('draining with invoice-lake run --once ...');
    const drain = await timed([CLI, 'run', '--once'], env);
    options.log('draining with the bare Node consumer ...');
    const bare = await timed(['--import', TSX, BARE, db.url, 'bench_bare', 'invoice_lake', lsn], env);
    if (bare.stdout.trim() === '' || JSON.parse(bare.stdout).rows !== options.invoices) {
      throw new Error(`the bare consumer saw ${bare.stdout.trim()} instead of ${options.invoices} rows`);
    }
    let recvSeconds: number | null = null;
    if (recvlogical) {
      options.log('draining with pg_recvlogical ...');
      const started = performance.now();
      await run(['--endpos', lsn, '-d', db.url, '--slot', 'bench_recvlogical', '--start', '-o', 'proto_version=1', '-o', 'publication_names=invoice_lake', '-f', '/dev/null'], env, 'pg_recvlogical');
      recvSeconds = (performance.now() - started) / 1000;
    }
    return {
      invoices: options.invoices,
      seconds: drain.seconds,
      rowsPerSecond: options.invoices / drain.seconds,
      peakRssMb: drain.peakRssBytes / 2 ** 20,
      bareNodeRowsPerSecond: options.invoices / bare.seconds,
      pgRecvlogicalRowsPerSecond: recvSeconds === null ? null : options.invoices / recvSeconds,
    };
  } finally {
    await db.stop();
  }
}

async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; peakRssBytes: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const sampler = new ProcessSampler(child.pid!);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  sampler.stop();
  if (code !== 0) throw new Error(`${args.join(' ')} failed (${code}): ${stderr}`);
  return { seconds: (performance.now() - started) / 1000, peakRssBytes: sampler.peakRssBytes, stdout };
}

async function run(args: string[], env: NodeJS.ProcessEnv, command = process.execPath): Promise<void> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}): ${stderr}`);
}
