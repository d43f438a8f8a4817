import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DuckDBInstance } from '@duckdb/node-api';
import { startBenchDatabase } from '../bench-database.ts';
import { ProcessSampler } from '../process-sampler.ts';
import { histogramQuantile, parseHistogram } from '../histogram-quantile.ts';
import { freePort } from '../../src/demo/embedded-database.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { currentSnapshot } from '../../src/lake/lake-table.ts';
import { decodeManifest, decodeManifestList } from '../../src/lake/iceberg/manifest-reader.ts';
import { parseTableMetadata } from '../../src/lake/iceberg/table-metadata-json.ts';
import { CLI, benchCliEnv } from '../cli-env.ts';


export interface SteadyResult {
  targetRate: number;
  achievedRate: number;
  seconds: number;
  freshnessP50Ms: number;
  freshnessP99Ms: number;
  scoreLatencyP50Ms: number | null;
  scoreLatencyP99Ms: number | null;
  cpuCoresUsed: number;
  peakRssMb: number;
  timeline: Array<{ second: number; rows: number; freshnessP99Ms: number }>;
}

/**
 * Workload 2: a load generator inserts invoices at a steady rate while the
 * daemon streams. Freshness per row is the time from its source commit to
 * the lake snapshot that added its data file; score latency comes from the
 * daemon's histogram (source commit → scored and alert emitted, one
 * observation per scored transaction batch).
 */
export async function steadyStream(options: { rate: number; seconds: number; customers: number; log: (line: string) => void }): Promise<SteadyResult> {
  const db = await startBenchDatabase(options.customers);
  const port = await freePort();
  const lakeDir = await mkdtemp(join(tmpdir(), 'bench-lake-'));
  const env = benchCliEnv({ DATABASE_URL: db.url, LAKE: lakeDir, HTTP_PORT: String(port) });
  try {
    await new Promise<void>((resolve, reject) => {
      const setup = spawn(process.execPath, [CLI, 'setup'], { env, stdio: 'ignore' });
      setup.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`setup failed (${code})`))));
    });
    const daemon = spawn(process.execPath, [CLI, 'run'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const sampler = new ProcessSampler(daemon.pid!);
    const exited = new Promise<number | null>((resolve) => daemon.on('close', resolve));
    await waitForSlot(db.client);
    const cpuBefore = sampler.cpuSeconds;
    options.log(`generating ${options.rate} invoices/s for ${options.seconds} s ...`);
    const started = performance.now();
    const sent = await generateLoad(db.url, options.rate, options.seconds, options.customers);
    const loadSeconds = (performance.now() - started) / 1000;
    await waitForDrain(db.client);
    const cpuSeconds = sampler.cpuSeconds - cpuBefore;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    daemon.kill('SIGTERM');
    await exited;
    sampler.stop();
    const histogram = parseHistogram(metrics, 'invoice_lake_score_latency_seconds');
    const freshness = await rowFreshness(db.url, lakeDir);
    return {
      targetRate: options.rate,
      achievedRate: sent / loadSeconds,
      seconds: loadSeconds,
      freshnessP50Ms: freshness.p50,
      freshnessP99Ms: freshness.p99,
      scoreLatencyP50Ms: scaled(histogramQuantile(0.5, histogram)),
      scoreLatencyP99Ms: scaled(histogramQuantile(0.99, histogram)),
      cpuCoresUsed: cpuSeconds / ((performance.now() - started) / 1000),
      peakRssMb: sampler.peakRssBytes / 2 ** 20,
      timeline: freshness.timeline,
    };
  } finally {
    await db.stop();
  }
}

const scaled = (seconds: number | null) => (seconds === null ? null : seconds * 1000);

async function generateLoad(url: string, rate: number, seconds: number, customers: number): Promise<number> {
  const connections = 4;
  const ticksPerSecond = 20;
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  const perConnectionTick = Math.max(1, Math.round(rate / ticksPerSecond / connections));
  const start = performance.now();
  let sent = 0;
  for (let tick = 0; performance.now() - start < seconds * 1000; tick++) {
    const due = start + (tick * 1000) / ticksPerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await Promise.all(
      clients.map((client) =>
        client.query(
          `INSERT INTO invoices (issue_date, issuer_id, receiver_id, amount)
           SELECT clock_timestamp(), 1 + (random() * ($2 - 1))::bigint, 1 + (random() * ($2 - 1))::bigint, round((exp(random() * 9))::numeric, 2) + 1
             FROM generate_series(1, $1)`,
          [perConnectionTick, customers],
        ),
      ),
    );
    sent += perConnectionTick * connections;
  }
  await Promise.all(clients.map((client) => client.end()));
  return sent;
}

async function waitForSlot(client: pg.Client): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const { rows } = await client.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'invoice_lake' AND active`);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the daemon never started streaming');
}

async function waitForDrain(client: pg.Client): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const { rows } = await client.query<{ lag: string }>(
      `SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::text AS lag FROM pg_replication_slots WHERE slot_name = 'invoice_lake'`,
    );
    if (Number(rows[0]?.lag ?? 1) < 16_384) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Per row: lake snapshot time of its data file minus its source commit time. */
async function rowFreshness(url: string, lakeDir: string): Promise<{ p50: number; p99: number; timeline: SteadyResult['timeline'] }> {
  const lake = await openLake({ lake: lakeDir, catalog: 'jdbc', catalogUrl: url, catalogName: 'invoice_lake', catalogSchema: 'invoice_lake_catalog', namespace: 'lake' });
  try {
    const { metadata } = await lake.table('invoices').load();
    const read = (uri: string) => lake.storage.read(lake.storage.relativePath(uri) ?? uri);
    // The current metadata keeps only the newest snapshots; every older metadata file is still on disk.
    const snapshotTime = new Map<bigint, number>();
    for (const path of await lake.storage.list('invoices/metadata/')) {
      if (!path.endsWith('.metadata.json')) continue;
      for (const snapshot of parseTableMetadata((await lake.storage.read(path)).toString('utf8')).snapshots) snapshotTime.set(snapshot.snapshotId, snapshot.timestampMs);
    }
    const committed: Array<{ uri: string; committedMs: number }> = [];
    for (const manifest of await decodeManifestList(await read(currentSnapshot(metadata)!.manifestList))) {
      const entries = await decodeManifest(await read(manifest.manifestPath), { addedSnapshotId: manifest.addedSnapshotId, sequenceNumber: manifest.sequenceNumber });
      for (const entry of entries) committed.push({ uri: entry.dataFile.filePath, committedMs: snapshotTime.get(entry.snapshotId!)! });
    }
    const paths = await lake.storage.queryPaths(committed.map((file) => file.uri));
    const files = committed.map((file, i) => ({ path: paths[i]!, committedMs: file.committedMs }));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run('CREATE TABLE file_commit (path VARCHAR, committed_ms BIGINT)');
    const appender = await connection.createAppender('file_commit');
    for (const file of files) {
      appender.appendVarchar(file.path);
      appender.appendBigInt(BigInt(file.committedMs));
      appender.endRow();
    }
    appender.closeSync();
    const list = files.map((file) => `'${file.path.replace(/'/g, "''")}'`).join(', ');
    await connection.run(
      `CREATE TABLE fresh AS SELECT epoch_ms(r.committed_at) AS source_ms, f.committed_ms - epoch_ms(r.committed_at) AS freshness_ms
         FROM read_parquet([${list}], filename = true) r JOIN file_commit f ON r.filename = f.path`,
    );
    const [summary] = (await connection.runAndReadAll(`SELECT quantile_cont(freshness_ms, 0.5) AS p50, quantile_cont(freshness_ms, 0.99) AS p99 FROM fresh`)).getRowObjectsJson() as Array<{ p50: number; p99: number }>;
    const timeline = (
      await connection.runAndReadAll(
        `WITH t AS (SELECT (source_ms - (SELECT min(source_ms) FROM fresh)) // 1000 AS second, freshness_ms FROM fresh)
         SELECT second::INTEGER AS second, count(*)::INTEGER AS rows, quantile_cont(freshness_ms, 0.99) AS p99 FROM t GROUP BY 1 ORDER BY 1`,
      )
    ).getRowObjectsJson() as Array<{ second: number; rows: number; p99: number }>;
    connection.closeSync();
    instance.closeSync();
    return { p50: Number(summary!.p50), p99: Number(summary!.p99), timeline: timeline.map((row) => ({ second: Number(row.second), rows: Number(row.rows), freshnessP99Ms: Number(row.p99) })) };
  } finally {
    await lake.close();
  }
}
