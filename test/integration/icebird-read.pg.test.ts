import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { icebergRead } from 'icebird';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { lakeEnv, onS3, queryLake, SOURCE_DDL } from '../support/lake-env.ts';
import { runCli } from '../support/cli.ts';
import { localTableUrl, serveLocalFiles, type LocalFetch } from '../support/icebird-fetch.ts';
import { serveS3Objects } from '../support/icebird-s3-fetch.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { decodeAvroFile } from '../../src/lake/iceberg/avro-container.ts';

/**
 * The lake is readable by an independent Iceberg implementation: icebird
 * 0.3.1 (hyparquet underneath) reads the `invoices` table the CLI wrote,
 * through nothing but its version hint, metadata JSON, Avro manifests and
 * Parquet files — and gets the source rows back.
 *
 * What icebird 0.3.1 hands back (node_modules/hyparquet/src/convert.js):
 * - int64 columns as `bigint`;
 * - timestamptz (TIMESTAMP MICROS) as a `Date` of `micros / 1000n` (truncated
 *   toward zero): milliseconds only, so microseconds are checked through DuckDB;
 * - decimal(14,2) as a JS number `unscaled * 0.01`: |unscaled| < 10^14 < 2^53,
 *   so `Math.round(value * 100)` recovers the exact unscaled integer.
 */

interface SourceRow {
  invoice_id: string;
  issuer_id: string;
  receiver_id: string;
  amount: string;
  micros: string;
}

const INVOICE_COUNT = 300;

/** Edge values first, then deterministic pseudo-random ones. */
const EDGE_DATES = [
  '2024-12-31 23:59:59.999999+00', // the year boundary, one microsecond apart
  '2025-01-01 00:00:00+00',
  '2025-01-01 00:00:00.000001+00',
  '2024-02-29 12:00:00.5+00', // leap day
  '2024-11-30 23:59:59.999999+00', // month boundaries
  '2024-12-01 00:00:00.000001+00',
  '2025-02-28 18:30:00.000999-05:30', // non-UTC input, lands on 2025-03-01 UTC
  '1969-12-31 23:59:59.999999+00', // before the epoch
];
const EDGE_AMOUNTS = ['0.00', '-0.01', '0.01', '999999999999.99', '-999999999999.99', '0.10', '-1234.56', '1.00'];
const EDGE_IDS = ['1', '9007199254740993', '9223372036854775807']; // 2^53 + 1 and int64 max exercise exactness

function sourceInvoices(): Array<[string, string, string, string, string]> {
  let state = 0x2545f491;
  const next = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const pad = (v: number, w = 2) => String(v).padStart(w, '0');
  const rows: Array<[string, string, string, string, string]> = [];
  for (let i = 0; i < INVOICE_COUNT; i++) {
    const id = String(i + 1);
    let issueDate: string;
    if (i < EDGE_DATES.length) issueDate = EDGE_DATES[i]!;
    else {
      // 2024-10 … 2025-03: six months across the year boundary, microseconds everywhere
      const month = next(6);
      const [year, mon] = month < 3 ? [2024, 10 + month] : [2025, month - 2];
      issueDate = `${year}-${pad(mon)}-${pad(1 + next(28))} ${pad(next(24))}:${pad(next(60))}:${pad(next(60))}.${pad(next(1_000_000), 6)}+00`;
    }
    const amount =
      i < EDGE_AMOUNTS.length ? EDGE_AMOUNTS[i]! : `${next(2) ? '-' : ''}${next(100_000_000)}.${pad(next(100))}`;
    const issuer = i < EDGE_IDS.length ? EDGE_IDS[i]! : String(1 + next(50));
    const receiver = i < EDGE_IDS.length ? EDGE_IDS[EDGE_IDS.length - 1 - i]! : String(1 + next(50));
    rows.push([id, issueDate, issuer, receiver, amount]);
  }
  return rows;
}

let db: TestDatabase;
let s3: TestS3Server;
let env: Record<string, string>;
/** The same source streamed (by a slot of its own) into a lake on the test S3 server. */
let s3Env: Record<string, string>;
let tableDir: string;
let source: SourceRow[];

beforeAll(async () => {
  [db, s3] = await Promise.all([startTestDatabase('icebird_read'), startS3Server()]);
  await db.query(SOURCE_DDL);
  env = await lakeEnv(db);
  s3Env = onS3(await lakeEnv(db, { SLOT_NAME: 'icebird_s3', PUBLICATION_NAME: 'icebird_s3' }), s3);
  tableDir = join(env.LAKE!, 'invoices');

  for (const lake of [env, s3Env]) {
    const setup = await runCli(['setup'], lake);
    expect(setup.stderr).toBe('');
    expect(setup.code).toBe(0);
  }

  // Three transactions, so the lake sees more than one source commit.
  const rows = sourceInvoices();
  for (const part of [rows.slice(0, 100), rows.slice(100, 250), rows.slice(250)]) {
    const column = (i: number) => part.map((row) => row[i]);
    await db.query(
      `INSERT INTO invoices (invoice_id, issue_date, issuer_id, receiver_id, amount)
       SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::numeric[])`,
      [column(0), column(1), column(2), column(3), column(4)],
    );
  }
  source = await db.query<SourceRow>(
    `SELECT invoice_id::text, issuer_id::text, receiver_id::text, amount::text,
            (extract(epoch FROM issue_date) * 1000000)::bigint::text AS micros
       FROM invoices ORDER BY invoices.invoice_id`,
  );
  expect(source).toHaveLength(INVOICE_COUNT);

  for (const lake of [env, s3Env]) {
    const run = await runCli(['run', '--once'], lake);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`invoices +${INVOICE_COUNT}`);
  }
});

afterAll(async () => {
  await db?.stop();
  await s3?.stop();
  if (env?.LAKE) await rm(env.LAKE, { recursive: true, force: true });
});

/** How icebird reaches each lake: local files through a fetch that serves the disk, S3 objects from the test server. */
const ICEBIRD_LAKES = [
  { backend: 'local disk', tableUrl: () => localTableUrl(tableDir), serve: serveLocalFiles, dataFileScheme: 'file:///', lakeEnv: () => env },
  { backend: 'S3 (s3rver)', tableUrl: () => `${s3Env.LAKE}/invoices`, serve: () => serveS3Objects(s3.endpoint), dataFileScheme: 'https://', lakeEnv: () => s3Env },
] satisfies Array<{ backend: string; tableUrl: () => string; serve: () => LocalFetch; dataFileScheme: string; lakeEnv: () => Record<string, string> }>;

/** Exact unscaled cents of a numeric(14,2) text ("-0.01" → -1n). */
function cents(text: string): bigint {
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const value = BigInt(whole! + fraction.padEnd(2, '0'));
  return text.startsWith('-') ? -value : value;
}

async function currentMetadata(): Promise<{ version: number; metadata: any }> {
  const hint = await readFile(join(tableDir, 'metadata', 'version-hint.text'), 'utf8');
  const version = Number(hint);
  return { version, metadata: JSON.parse(await readFile(join(tableDir, 'metadata', `v${version}.metadata.json`), 'utf8')) };
}

async function manifestListPath(): Promise<string> {
  const { metadata } = await currentMetadata();
  const snapshot = metadata.snapshots.find((s: any) => s['snapshot-id'] === metadata['current-snapshot-id']);
  expect(snapshot).toBeDefined();
  expect(snapshot['manifest-list']).toMatch(/^file:\/\/\//);
  return fileURLToPath(snapshot['manifest-list']);
}

async function dataFilePaths(): Promise<string[]> {
  const list = await decodeAvroFile(await readFile(await manifestListPath()));
  const paths: string[] = [];
  for (const manifest of list.records) {
    const entries = await decodeAvroFile(await readFile(fileURLToPath(manifest.manifest_path)));
    for (const entry of entries.records) if (entry.status !== 2) paths.push(entry.data_file.file_path);
  }
  return paths;
}

describe.each(ICEBIRD_LAKES)('icebird 0.3.1 reads the invoices lake table on $backend', ({ tableUrl, serve, dataFileScheme, lakeEnv: lakeEnvOf }) => {
  it('returns exactly the source rows', async () => {
    const served = serve();
    let rows: Array<Record<string, any>>;
    try {
      rows = await icebergRead({ tableUrl: tableUrl() });
    } finally {
      served.restore();
    }
    // icebird found the table through the hint and followed the paths the metadata names, reading byte ranges
    expect(served.requests[0]!.url).toMatch(/\/invoices\/metadata\/version-hint\.text$/);
    expect(served.requests.some((r) => r.url.startsWith(dataFileScheme) && r.url.endsWith('.parquet') && r.range !== null)).toBe(true);

    expect(rows).toHaveLength(INVOICE_COUNT);
    const lake = rows
      .map((row) => ({
        invoice_id: (row.invoice_id as bigint).toString(),
        issuer_id: (row.issuer_id as bigint).toString(),
        receiver_id: (row.receiver_id as bigint).toString(),
        cents: BigInt(Math.round((row.amount as number) * 100)),
        millis: (row.issue_date as Date).getTime(),
      }))
      .sort((a, b) => (BigInt(a.invoice_id) < BigInt(b.invoice_id) ? -1 : 1));
    for (const row of rows) {
      expect(typeof row.invoice_id).toBe('bigint');
      expect(typeof row.amount).toBe('number');
      expect(row.issue_date).toBeInstanceOf(Date);
    }
    const expected = source.map((row) => ({
      invoice_id: row.invoice_id,
      issuer_id: row.issuer_id,
      receiver_id: row.receiver_id,
      cents: cents(row.amount),
      // hyparquet: new Date(Number(micros / 1000n)), BigInt division truncates toward zero
      millis: Number(BigInt(row.micros) / 1000n),
    }));
    expect(lake).toEqual(expected);
  });

  it('has the columns of the Iceberg schema, including the risk and commit columns', async () => {
    const served = serve();
    try {
      const rows = await icebergRead({ tableUrl: tableUrl(), rowEnd: 5 });
      expect(rows.length).toBeGreaterThan(0);
      expect(Object.keys(rows[0]!)).toEqual([
        'invoice_id',
        'issue_date',
        'issuer_id',
        'receiver_id',
        'amount',
        'risk_score',
        'risk_model',
        'commit_lsn',
        'committed_at',
      ]);
      for (const row of rows) {
        expect(typeof row.commit_lsn).toBe('bigint');
        expect(row.committed_at).toBeInstanceOf(Date);
      }
    } finally {
      served.restore();
    }
  });

  it('keeps microseconds and exact decimals (checked through `invoice-lake query`, DuckDB)', async () => {
    const rows = await queryLake<{ invoice_id: string; issuer_id: string; receiver_id: string; amount: string; micros: string }>(
      lakeEnvOf(),
      `SELECT invoice_id::VARCHAR AS invoice_id, issuer_id::VARCHAR AS issuer_id, receiver_id::VARCHAR AS receiver_id,
              amount::VARCHAR AS amount, epoch_us(issue_date)::VARCHAR AS micros
         FROM invoices ORDER BY invoices.invoice_id`,
    );
    expect(rows).toEqual(source);
  });
});

describe('icebird 0.3.1 reads the invoices lake table (format checks, local disk)', () => {
  it('partitions by month(issue_date): one data file directory per month, and the year boundary splits', async () => {
    const files = await dataFilePaths();
    expect(files.length).toBeGreaterThan(1);
    const floorMillis = (micros: bigint) => Number(micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n));
    const monthsInSource = new Set(source.map((row) => new Date(floorMillis(BigInt(row.micros))).toISOString().slice(0, 7)));
    expect(monthsInSource.has('2024-12') && monthsInSource.has('2025-01') && monthsInSource.has('1969-12')).toBe(true);
    const { metadata } = await currentMetadata();
    const spec = metadata['partition-specs'].find((s: any) => s['spec-id'] === metadata['default-spec-id']);
    expect(spec.fields).toEqual([expect.objectContaining({ 'source-id': 2, transform: 'month' })]);
    // every month present in the source has at least one data file and no file mixes months
    const list = await decodeAvroFile(await readFile(await manifestListPath()));
    const partitionMonths = new Set<number>();
    for (const manifest of list.records) {
      const entries = await decodeAvroFile(await readFile(fileURLToPath(manifest.manifest_path)));
      for (const entry of entries.records) partitionMonths.add(Number(Object.values(entry.data_file.partition)[0]));
    }
    const expectedMonths = new Set(
      [...monthsInSource].map((ym) => (Number(ym.slice(0, 4)) - 1970) * 12 + Number(ym.slice(5, 7)) - 1),
    );
    expect(partitionMonths).toEqual(expectedMonths);
  });
});

describe('Iceberg file format details', () => {
  /** Every record field carries a field-id, every list an element-id (maps are lists of key/value records). */
  function missingIds(type: unknown, path: string, out: string[]): string[] {
    if (Array.isArray(type)) {
      for (const branch of type) missingIds(branch, path, out);
    } else if (type && typeof type === 'object') {
      const t = type as Record<string, any>;
      if (t.type === 'record') {
        for (const field of t.fields as Array<Record<string, any>>) {
          if (typeof field['field-id'] !== 'number') out.push(`${path}.${field.name}`);
          missingIds(field.type, `${path}.${field.name}`, out);
        }
      } else if (t.type === 'array') {
        if (t.logicalType !== 'map' && typeof t['element-id'] !== 'number') out.push(`${path}[]`);
        missingIds(t.items, `${path}[]`, out);
      } else if (t.type === 'map') {
        out.push(`${path} (string-keyed Avro map)`);
      }
    }
    return out;
  }

  function fieldIds(type: any): Map<string, number> {
    return new Map((type.fields as any[]).map((f) => [f.name, f['field-id']]));
  }

  it('the manifest list header schema carries field ids (spec "Manifest Lists")', async () => {
    const file = await decodeAvroFile(await readFile(await manifestListPath()));
    expect(file.metadata['avro.codec']).toBe('deflate');
    expect(file.metadata['format-version']).toBe('2');
    const schema = JSON.parse(file.metadata['avro.schema']!);
    expect(missingIds(schema, 'manifest_file', [])).toEqual([]);
    const ids = fieldIds(schema);
    expect(ids.get('manifest_path')).toBe(500);
    expect(ids.get('manifest_length')).toBe(501);
    expect(ids.get('partition_spec_id')).toBe(502);
    expect(ids.get('added_snapshot_id')).toBe(503);
    expect(ids.get('content')).toBe(517);
    expect(ids.get('sequence_number')).toBe(515);
    expect(file.records.length).toBeGreaterThan(0);
  });

  it('the manifest header schema carries field ids and the Iceberg metadata keys', async () => {
    const list = await decodeAvroFile(await readFile(await manifestListPath()));
    for (const manifest of list.records) {
      const file = await decodeAvroFile(await readFile(fileURLToPath(manifest.manifest_path)));
      expect(file.metadata['format-version']).toBe('2');
      expect(file.metadata.content).toBe('data');
      expect(JSON.parse(file.metadata.schema!).fields.map((f: any) => f.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(file.metadata['partition-spec']).toBeDefined();
      const schema = JSON.parse(file.metadata['avro.schema']!);
      expect(missingIds(schema, 'manifest_entry', [])).toEqual([]);
      const entry = fieldIds(schema);
      expect(entry.get('status')).toBe(0);
      expect(entry.get('snapshot_id')).toBe(1);
      expect(entry.get('data_file')).toBe(2);
      const dataFileType = (schema.fields as any[]).find((f) => f.name === 'data_file').type;
      const dataFile = fieldIds(dataFileType);
      expect(dataFile.get('file_path')).toBe(100);
      expect(dataFile.get('file_format')).toBe(101);
      expect(dataFile.get('partition')).toBe(102);
      expect(dataFile.get('record_count')).toBe(103);
      expect(dataFile.get('file_size_in_bytes')).toBe(104);
      const partitionType = (dataFileType.fields as any[]).find((f) => f.name === 'partition').type;
      expect((partitionType.fields as any[]).map((f) => f['field-id'])).toEqual([1000]);
      for (const record of file.records) expect(record.data_file.file_format).toBe('PARQUET');
    }
  });

  it('the Parquet data files carry Iceberg field ids 1..9 (DuckDB parquet_schema)', async () => {
    const files = await dataFilePaths();
    expect(files.length).toBeGreaterThan(0);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const uri of files) {
        expect(uri).toMatch(/^file:\/\/\/.+\.parquet$/);
        const path = fileURLToPath(uri).replace(/'/g, "''");
        const reader = await connection.runAndReadAll(
          `SELECT name, field_id FROM parquet_schema('${path}') WHERE num_children IS NULL OR num_children = 0 ORDER BY field_id`,
        );
        const columns = reader.getRowObjectsJson().map((row) => [row.name, Number(row.field_id)]);
        expect(columns).toEqual([
          ['invoice_id', 1],
          ['issue_date', 2],
          ['issuer_id', 3],
          ['receiver_id', 4],
          ['amount', 5],
          ['risk_score', 6],
          ['risk_model', 7],
          ['commit_lsn', 8],
          ['committed_at', 9],
        ]);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('metadata/version-hint.text is just the integer, no newline, and names the catalog\'s current metadata', async () => {
    const bytes = await readFile(join(tableDir, 'metadata', 'version-hint.text'));
    const text = bytes.toString('utf8');
    expect(text).toMatch(/^[1-9]\d*$/);
    const { version, metadata } = await currentMetadata();
    expect(version).toBeGreaterThanOrEqual(2); // created by setup, appended by run
    const names = await readdir(join(tableDir, 'metadata'));
    expect(names).toContain(`v${version}.metadata.json`);
    expect(names).not.toContain(`v${version + 1}.metadata.json`);
    const [catalogRow] = await db.query<{ metadata_location: string }>(
      "SELECT metadata_location FROM invoice_lake_catalog.iceberg_tables WHERE table_name = 'invoices'",
    );
    expect(catalogRow).toBeDefined();
    const catalogMetadata = JSON.parse(await readFile(fileURLToPath(catalogRow!.metadata_location), 'utf8'));
    expect(catalogMetadata).toEqual(metadata);
    expect(metadata['format-version']).toBe(2);
    expect(metadata.location).toBe(`file://${tableDir}`);
  });
});
