/**
 * Builds a small format-version 1 Iceberg table on disk, the way a v1 writer
 * (Iceberg Java before v2, older Spark and Hive) lays it out: a single
 * `schema` and `partition-spec` in the metadata, no sequence numbers, v1
 * Avro manifests (`block_size_in_bytes`, no `content`), and a manifest list
 * without the row counts. Data files carry Parquet field ids (DuckDB's
 * FIELD_IDS) and are partitioned by identity on a string column, which the
 * writer side of invoice-lake never produces.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { encodeAvroFile } from '../../src/lake/iceberg/avro-container.ts';

/** Where the metadata says the table lives; the copy on disk is elsewhere. */
export const V1_LOCATION = 'file:/data/warehouse/db/v1_table';
export const V1_SNAPSHOT_ID = 8_765_432_109_876_543_210n; // above 2^53: must survive exactly

const V1_SCHEMA = {
  type: 'struct',
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'region', required: false, type: 'string' },
    { id: 3, name: 'flag', required: false, type: 'boolean' },
    { id: 4, name: 'small', required: false, type: 'int' },
    { id: 5, name: 'ratio', required: false, type: 'float' },
    { id: 6, name: 'score', required: false, type: 'double' },
    { id: 7, name: 'amount', required: false, type: 'decimal(38, 9)' },
    { id: 8, name: 'day', required: false, type: 'date' },
    { id: 9, name: 'at_time', required: false, type: 'time' },
    { id: 10, name: 'ts', required: false, type: 'timestamp' },
    { id: 11, name: 'tstz', required: false, type: 'timestamptz' },
    { id: 12, name: 'uid', required: false, type: 'uuid' },
    { id: 13, name: 'raw', required: false, type: 'binary' },
    { id: 14, name: 'code', required: false, type: 'fixed[3]' },
    { id: 15, name: 'tags', required: false, type: { type: 'list', 'element-id': 17, element: 'string', 'element-required': false } },
    { id: 16, name: 'note', required: false, type: 'string' },
  ],
};

const MANIFEST_LIST_V1 = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'added_snapshot_id', type: ['null', 'long'], default: null, 'field-id': 503 },
  ],
};

const MANIFEST_ENTRY_V1 = {
  type: 'record',
  name: 'manifest_entry',
  fields: [
    { name: 'status', type: 'int', 'field-id': 0 },
    { name: 'snapshot_id', type: 'long', 'field-id': 1 },
    {
      name: 'data_file',
      'field-id': 2,
      type: {
        type: 'record',
        name: 'r2',
        fields: [
          { name: 'file_path', type: 'string', 'field-id': 100 },
          { name: 'file_format', type: 'string', 'field-id': 101 },
          {
            name: 'partition',
            'field-id': 102,
            type: { type: 'record', name: 'r102', fields: [{ name: 'region', type: ['null', 'string'], default: null, 'field-id': 1000 }] },
          },
          { name: 'record_count', type: 'long', 'field-id': 103 },
          { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
          { name: 'block_size_in_bytes', type: 'long', 'field-id': 105 },
        ],
      },
    },
  ],
};

const COMMON_COLUMNS = `
  CAST(flag AS BOOLEAN) AS flag, CAST(small AS INTEGER) AS small, CAST(ratio AS FLOAT) AS ratio, CAST(score AS DOUBLE) AS score,
  CAST(amount AS DECIMAL(38, 9)) AS amount, CAST(day AS DATE) AS day, CAST(at_time AS TIME) AS at_time,
  CAST(ts AS TIMESTAMP) AS ts, CAST(tstz AS TIMESTAMPTZ) AS tstz, CAST(uid AS UUID) AS uid, CAST(raw AS BLOB) AS raw, CAST(code AS BLOB) AS code`;
const COMMON_IDS = 'flag: 3, small: 4, ratio: 5, score: 6, amount: 7, day: 8, at_time: 9, ts: 10, tstz: 11, uid: 12, raw: 13, code: 14';

/**
 * Writes the table into `dir`: `eu` rows in a file written before column
 * `note` existed (and with `id` as int: type promotion int → long), `us`
 * rows with it, and a DELETED manifest entry whose file is not on disk.
 */
export async function writeV1Table(connection: DuckDBConnection, dir: string): Promise<void> {
  await mkdir(join(dir, 'metadata'), { recursive: true });
  await mkdir(join(dir, 'data', 'region=eu'), { recursive: true });
  await mkdir(join(dir, 'data', 'region=us'), { recursive: true });
  const eu = join(dir, 'data', 'region=eu', '00000-0-eu.parquet');
  const us = join(dir, 'data', 'region=us', '00000-0-us.parquet');
  await connection.run(`
    COPY (SELECT CAST(id AS INTEGER) AS id, region, ${COMMON_COLUMNS} FROM (VALUES
      (1, 'eu', true, -2147483648, 1.5, 0.1, '12345678901234567890123456789.123456789', '1969-12-31', '23:59:59.999999',
       '2024-02-29 12:34:56.789012', '2024-12-31 23:59:59.999999+00', '00112233-4455-6677-8899-aabbccddeeff', '\\x00\\xFF'::BLOB, 'abc'::BLOB),
      (2, 'eu', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
    ) t(id, region, flag, small, ratio, score, amount, day, at_time, ts, tstz, uid, raw, code))
    TO '${eu}' (FORMAT parquet, FIELD_IDS {id: 1, region: 2, ${COMMON_IDS}})`);
  await connection.run(`
    COPY (SELECT CAST(id AS BIGINT) AS id, region, ${COMMON_COLUMNS}, note FROM (VALUES
      (9007199254740993, 'us', false, 7, -0.25, 1e300, '-0.000000001', '2025-01-01', '00:00:00', '1970-01-01 00:00:00',
       '2025-06-30 10:00:00.000001+00', 'ffffffff-ffff-ffff-ffff-ffffffffffff', ''::BLOB, 'xyz'::BLOB, 'added later')
    ) t(id, region, flag, small, ratio, score, amount, day, at_time, ts, tstz, uid, raw, code, note))
    TO '${us}' (FORMAT parquet, FIELD_IDS {id: 1, region: 2, ${COMMON_IDS}, note: 16})`);

  const entry = async (status: number, file: string, region: string, records: bigint) => ({
    status,
    snapshot_id: V1_SNAPSHOT_ID,
    data_file: {
      file_path: `${V1_LOCATION}/data/region=${region}/${file}`,
      file_format: 'PARQUET',
      partition: { region },
      record_count: records,
      file_size_in_bytes: BigInt((await stat(join(dir, 'data', `region=${region}`, file)).catch(() => ({ size: 1 }))).size),
      block_size_in_bytes: 67_108_864n,
    },
  });
  const manifest = await encodeAvroFile(
    MANIFEST_ENTRY_V1,
    [await entry(1, '00000-0-eu.parquet', 'eu', 2n), await entry(1, '00000-0-us.parquet', 'us', 1n), await entry(2, 'gone.parquet', 'eu', 5n)],
    {
      schema: JSON.stringify(V1_SCHEMA),
      'partition-spec': JSON.stringify([{ name: 'region', transform: 'identity', 'source-id': 2, 'field-id': 1000 }]),
      'partition-spec-id': '0',
      'format-version': '1',
    },
  );
  await writeFile(join(dir, 'metadata', 'm0.avro'), manifest);
  const list = await encodeAvroFile(
    MANIFEST_LIST_V1,
    [{ manifest_path: `${V1_LOCATION}/metadata/m0.avro`, manifest_length: BigInt(manifest.length), partition_spec_id: 0, added_snapshot_id: V1_SNAPSHOT_ID }],
    { 'format-version': '1' },
  );
  await writeFile(join(dir, 'metadata', `snap-${V1_SNAPSHOT_ID}-1-list.avro`), list);

  const metadata = (snapshots: string) => `{
  "format-version": 1,
  "table-uuid": "7c1c4f1e-2a39-4bd6-9d0c-3f3f0a2b9f10",
  "location": "${V1_LOCATION}",
  "last-updated-ms": 1700000000000,
  "last-column-id": 17,
  "schema": ${JSON.stringify(V1_SCHEMA)},
  "partition-spec": [{"name": "region", "transform": "identity", "source-id": 2, "field-id": 1000}],
  "properties": {},
  ${snapshots}
}`;
  // An older metadata file without snapshots: the reader must pick the highest version.
  await writeFile(join(dir, 'metadata', 'v1.metadata.json'), metadata('"current-snapshot-id": -1, "snapshots": []'));
  await writeFile(
    join(dir, 'metadata', 'v2.metadata.json'),
    metadata(`"current-snapshot-id": ${V1_SNAPSHOT_ID},
  "snapshots": [{"snapshot-id": ${V1_SNAPSHOT_ID}, "timestamp-ms": 1700000000000, "summary": {"operation": "append"},
    "manifest-list": "${V1_LOCATION}/metadata/snap-${V1_SNAPSHOT_ID}-1-list.avro"}]`),
  );
}
