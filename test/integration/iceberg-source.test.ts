import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { icebergRead } from 'icebird';
import { createIcebergView } from '../../src/query/sources/iceberg-source.ts';
import { LakeError } from '../../src/errors/lake-error.ts';
import { FIXTURES_ROOT } from '../unit/iceberg/fixtures.ts';
import { localTableUrl, serveLocalFiles } from '../support/icebird-fetch.ts';
import { V1_SNAPSHOT_ID, writeV1Table } from '../support/iceberg-v1-table.ts';

/**
 * Foreign Iceberg tables as DuckDB views, checked against what the writing
 * engines put in them: Spark, the Iceberg Java API and Athena (the fixtures,
 * test/fixtures/iceberg/README.md), plus a v1 table built here. Where icebird
 * 0.3.1 reads a table, its rows are the cross-check; literal values were read
 * from the Parquet and delete files themselves.
 */

const FIXTURES = fileURLToPath(FIXTURES_ROOT);
const fixture = (table: string) => join(FIXTURES, table);
const ATHENA_METADATA = '00001-aaf0d033-d06b-43c7-be60-67f83abd4aca.metadata.json';

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'iceberg-source-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});
afterEach(() => {
  connection.closeSync();
  instance.closeSync();
});

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>;
}

/** icebird's rows, with its `undefined` for a missing column read as SQL NULL. */
async function icebirdRows(table: string, metadataFileName?: string): Promise<Array<Record<string, unknown>>> {
  const served = serveLocalFiles();
  const local = globalThis.fetch;
  // The fixtures' metadata names s3a://hyperparam-iceberg/…, which icebird turns into this HTTPS host.
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const s3 = /^https:\/\/hyperparam-iceberg\.s3\.amazonaws\.com\/(.*)$/.exec(url);
    return local(s3 ? `file://${FIXTURES}${s3[1]}` : url, init);
  }) as typeof fetch;
  try {
    const read = await icebergRead({ tableUrl: localTableUrl(fixture(table)), ...(metadataFileName ? { metadataFileName } : {}) });
    return read.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === undefined ? null : v])));
  } finally {
    globalThis.fetch = local;
    served.restore();
  }
}

const byKey = (key: string) => (a: Record<string, unknown>, b: Record<string, unknown>) => String(a[key]).localeCompare(String(b[key]));

describe('tables written by other engines', () => {
  it('spark/bunnies: the current snapshot after a rewrite, an added column, names with spaces', async () => {
    const info = await createIcebergView(connection, 'bunnies', fixture('spark/bunnies'));
    expect(info).toEqual({
      formatVersion: 2,
      snapshotId: 2701171901096418979n,
      dataFiles: 1,
      // Live, but it targets the file the rewrite removed: it must hit nothing.
      positionDeleteFiles: 1,
      equalityDeleteFiles: 0,
      columns: ['Breed Name', 'Average Weight', 'Fur Length', 'Lifespan', 'Origin Country', 'Ear Type', 'Temperament', 'Popularity Rank', 'breed_name_length'],
    });
    const view = await rows('SELECT * FROM bunnies');
    expect(view).toHaveLength(20);
    // Holland Lop was deleted (position delete) and the rewrite dropped it for good.
    expect(view.map((r) => r['Breed Name'])).not.toContain('Holland Lop');
    expect(await rows(`SELECT "Breed Name", breed_name_length, "Popularity Rank" FROM bunnies WHERE "Origin Country" = 'Turkey'`)).toEqual([
      { 'Breed Name': 'Satin Angora', breed_name_length: 12, 'Popularity Rank': 14n },
    ]);
    expect([...view].sort(byKey('Breed Name'))).toEqual((await icebirdRows('spark/bunnies')).sort(byKey('Breed Name')));
  });

  it('java/bunnies: position deletes (seq ≤) and an equality delete (seq <) applied, the re-inserted row kept', async () => {
    const info = await createIcebergView(connection, 'bunnies', fixture('java/bunnies'));
    expect(info).toMatchObject({ formatVersion: 2, snapshotId: 9158179788527662767n, dataFiles: 2, positionDeleteFiles: 1, equalityDeleteFiles: 1 });
    const view = await rows('SELECT * FROM bunnies');
    // 21 initial rows − 6 position deletes (rows 2–6 and 11) − 1 equality delete + 1 re-insert.
    expect(view).toHaveLength(15);
    const names = view.map((r) => r['Breed Name']);
    for (const gone of ['Flemish Giant', 'English Lop', 'Rex', 'Mini Lop', 'Lionhead', 'French Angora']) expect(names).not.toContain(gone);
    // The equality delete (Breed Name = 'New Zealand', seq 3) removed the old row but not the new one written at seq 3.
    expect(await rows(`SELECT "Popularity Rank", __happy__ FROM bunnies WHERE "Breed Name" = 'New Zealand'`)).toEqual([
      { 'Popularity Rank': 0n, __happy__: true },
    ]);
    // Rows from before the column was added read it as NULL.
    expect(await rows(`SELECT count(*) AS n FROM bunnies WHERE __happy__ IS NULL`)).toEqual([{ n: 14n }]);
    expect([...view].sort(byKey('Breed Name'))).toEqual((await icebirdRows('java/bunnies')).sort(byKey('Breed Name')));
  });

  it('spark/rename_column: a renamed column found by field id, bucket/identity partitions with a null, exact decimals', async () => {
    const info = await createIcebergView(connection, 'renamed', fixture('spark/rename_column'));
    expect(info).toMatchObject({ dataFiles: 3, columns: ['id', 'name', 'event_date', 'price', 'active'] });
    expect(await rows(`SELECT id, name, CAST(event_date AS VARCHAR) AS event_date, CAST(price AS VARCHAR) AS price, active FROM renamed ORDER BY id`)).toEqual([
      { id: 1, name: 'Flopsy 🐇', event_date: '2022-01-01', price: '9.99', active: true },
      { id: 2, name: 'Mopsy–Naïve', event_date: '2022-01-01', price: '-5.00', active: false },
      { id: 3, name: 'Cottontail', event_date: null, price: '0.00', active: true },
      { id: 4, name: 'Thumper', event_date: '2022-01-02', price: '99999999.99', active: false },
    ]);
    expect((await rows('SELECT * FROM renamed')).sort(byKey('id'))).toEqual((await icebirdRows('spark/rename_column')).sort(byKey('id')));
  });

  it('athena/example: no version hint, the highest NNNNN-<uuid>.metadata.json is current, s3:// paths', async () => {
    const info = await createIcebergView(connection, 'example', fixture('athena/example'));
    expect(info).toMatchObject({ formatVersion: 2, snapshotId: 6838723292707092922n, dataFiles: 1, columns: ['id', 'name'] });
    const view = await rows('SELECT * FROM example ORDER BY id');
    expect(view).toEqual([
      { id: 1, name: 'Alice' },
      { id: 2, name: 'Bob' },
    ]);
    expect(view).toEqual(await icebirdRows('athena/example', ATHENA_METADATA));
  });
});

describe('Parquet files without field ids', () => {
  /** The Athena table with its data file rewritten by DuckDB, which stores no field ids; `column` renames `name` in the file. */
  async function athenaWithoutFieldIds(dir: string, column: string, nameMapping?: unknown): Promise<void> {
    await cp(fixture('athena/example'), dir, { recursive: true });
    const file = join(dir, 'data/sNoYhg/20250401_023623_00108_u4nkm-ee75816e-a3dd-4356-97b3-1c6d0128a41f.parquet');
    await connection.run(`COPY (SELECT id, name AS "${column}" FROM read_parquet('${file}')) TO '${file}.tmp' (FORMAT parquet)`);
    await cp(`${file}.tmp`, file);
    await unlink(`${file}.tmp`);
    expect(await rows(`SELECT count(*) AS n FROM parquet_schema('${file}') WHERE field_id IS NOT NULL`)).toEqual([{ n: 0n }]);
    if (nameMapping !== undefined) {
      const path = join(dir, 'metadata', ATHENA_METADATA);
      // Patch the text rather than re-serialise: the snapshot ids exceed 2^53.
      const text = await readFile(path, 'utf8');
      const patched = text.replace('"properties" : {', `"properties" : { "schema.name-mapping.default": ${JSON.stringify(JSON.stringify(nameMapping))},`);
      expect(patched).not.toBe(text);
      await writeFile(path, patched);
    }
  }

  it('matches columns by their current names when the table has no name mapping', async () => {
    const dir = join(scratch, 'no-ids-by-name');
    await athenaWithoutFieldIds(dir, 'name');
    await createIcebergView(connection, 'example', dir);
    expect(await rows('SELECT id, name FROM example ORDER BY id')).toEqual([
      { id: 1, name: 'Alice' },
      { id: 2, name: 'Bob' },
    ]);
  });

  it('uses schema.name-mapping.default: a mapped old name is read, an unmapped field is NULL', async () => {
    const dir = join(scratch, 'no-ids-mapped');
    await athenaWithoutFieldIds(dir, 'full_name', [{ 'field-id': 1, names: ['id'] }, { 'field-id': 2, names: ['full_name', 'name'] }]);
    await createIcebergView(connection, 'example', dir);
    expect(await rows('SELECT id, name FROM example ORDER BY id')).toEqual([
      { id: 1, name: 'Alice' },
      { id: 2, name: 'Bob' },
    ]);

    const unmapped = join(scratch, 'no-ids-unmapped');
    await athenaWithoutFieldIds(unmapped, 'name', [{ 'field-id': 1, names: ['id'] }]);
    await createIcebergView(connection, 'unmapped', unmapped);
    expect(await rows('SELECT id, name FROM unmapped ORDER BY id')).toEqual([
      { id: 1, name: null },
      { id: 2, name: null },
    ]);
  });
});

describe('a format-version 1 table', () => {
  it('reads v1 metadata and manifests, every supported type exactly, promoted and added columns, a string partition', async () => {
    const dir = join(scratch, 'v1');
    await writeV1Table(connection, dir);
    const info = await createIcebergView(connection, 'v1_table', dir);
    expect(info).toEqual({
      formatVersion: 1,
      snapshotId: V1_SNAPSHOT_ID,
      // The DELETED entry's file is not on disk and must not be read.
      dataFiles: 2,
      positionDeleteFiles: 0,
      equalityDeleteFiles: 0,
      // `tags` (a list) is left out: nested types are not read.
      columns: ['id', 'region', 'flag', 'small', 'ratio', 'score', 'amount', 'day', 'at_time', 'ts', 'tstz', 'uid', 'raw', 'code', 'note'],
    });
    const types = await rows(`SELECT column_name, column_type FROM (DESCRIBE v1_table)`);
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual({
      id: 'BIGINT',
      region: 'VARCHAR',
      flag: 'BOOLEAN',
      small: 'INTEGER',
      ratio: 'FLOAT',
      score: 'DOUBLE',
      amount: 'DECIMAL(38,9)',
      day: 'DATE',
      at_time: 'TIME',
      ts: 'TIMESTAMP',
      tstz: 'TIMESTAMP WITH TIME ZONE',
      uid: 'UUID',
      raw: 'BLOB',
      code: 'BLOB',
      note: 'VARCHAR',
    });
    const exact = await rows(`
      SELECT id::VARCHAR AS id, region, flag, small, ratio::VARCHAR AS ratio, score::VARCHAR AS score, amount::VARCHAR AS amount,
             day::VARCHAR AS day, at_time::VARCHAR AS at_time, ts::VARCHAR AS ts, epoch_us(tstz)::VARCHAR AS tstz_us,
             uid::VARCHAR AS uid, hex(raw) AS raw, hex(code) AS code, note
      FROM v1_table ORDER BY id`);
    expect(exact).toEqual([
      {
        id: '1', region: 'eu', flag: true, small: -2147483648, ratio: '1.5', score: '0.1', amount: '12345678901234567890123456789.123456789',
        day: '1969-12-31', at_time: '23:59:59.999999', ts: '2024-02-29 12:34:56.789012', tstz_us: '1735689599999999',
        uid: '00112233-4455-6677-8899-aabbccddeeff', raw: '00FF', code: '616263', note: null,
      },
      {
        id: '2', region: 'eu', flag: null, small: null, ratio: null, score: null, amount: null, day: null, at_time: null,
        ts: null, tstz_us: null, uid: null, raw: null, code: null, note: null,
      },
      {
        id: '9007199254740993', region: 'us', flag: false, small: 7, ratio: '-0.25', score: '1e+300', amount: '-0.000000001',
        day: '2025-01-01', at_time: '00:00:00', ts: '1970-01-01 00:00:00', tstz_us: '1751277600000001',
        uid: 'ffffffff-ffff-ffff-ffff-ffffffffffff', raw: '', code: '78797A', note: 'added later',
      },
    ]);
  });
});

describe('bad paths', () => {
  async function failure(path: string): Promise<LakeError> {
    const error = await createIcebergView(connection, 'broken', path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).kind).toBe('config');
    expect((error as LakeError).exitCode).toBe(2);
    return error as LakeError;
  }

  it('names a path that does not exist', async () => {
    const missing = join(scratch, 'nowhere');
    expect((await failure(missing)).message).toBe(`iceberg source "broken": ${missing} is not a directory`);
  });

  it('names a directory without metadata/', async () => {
    const dir = await mkdtemp(join(scratch, 'plain-'));
    expect((await failure(dir)).message).toContain(`${dir} has no metadata/ directory`);
  });

  it('names a metadata/ directory without a metadata file', async () => {
    const dir = await mkdtemp(join(scratch, 'no-metadata-file-'));
    // Manifests without any metadata JSON: not a readable table.
    await cp(join(fixture('athena/example'), 'metadata', '3d82674b-df1e-49b5-a7a9-05b61567065a-m0.avro'), join(dir, 'metadata', 'm0.avro'));
    expect((await failure(dir)).message).toContain(`${join(dir, 'metadata')} holds no table metadata file`);
  });

  it('names a data file missing from the copy', async () => {
    const dir = join(scratch, 'missing-data');
    await cp(fixture('spark/rename_column'), dir, { recursive: true });
    const gone = join(dir, 'data/id_bucket=3/date=null/00000-20-b65939d1-96e1-4d30-a733-aa5264a479aa-00002.parquet');
    await unlink(gone);
    expect((await failure(dir)).message).toBe(`iceberg source "broken": ${gone} is missing, but the table's current snapshot needs it`);
  });

  it('names metadata that is not table metadata', async () => {
    const dir = await mkdtemp(join(scratch, 'garbage-'));
    await cp(fixture('athena/example'), dir, { recursive: true });
    await writeFile(join(dir, 'metadata', '00002-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.metadata.json'), '{"format-version": 3}');
    expect((await failure(dir)).message).toContain('format-version 3 is not supported');
  });
});
