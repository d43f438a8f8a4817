import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { icebergViewSql, type IcebergViewPlan } from '../../../src/query/sources/iceberg-view-sql.ts';
import { readParquetColumns } from '../../../src/query/sources/iceberg-parquet-columns.ts';

/**
 * The delete rules of the view SQL on tiny hand-made files, where each row
 * tells which rule must keep or drop it: equality deletes only below their
 * sequence number and inside their partition (unless table-wide), NULL
 * matching NULL; position deletes only at or below theirs.
 */
let instance: DuckDBInstance;
let connection: DuckDBConnection;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iceberg-view-sql-'));
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});
afterAll(async () => {
  connection.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });
});

async function parquet(name: string, select: string, fieldIds?: string): Promise<string> {
  const path = join(dir, name);
  await connection.run(`COPY (${select}) TO '${path}' (FORMAT parquet${fieldIds ? `, FIELD_IDS {${fieldIds}}` : ''})`);
  return path;
}

const COLUMNS = [
  { id: 1, name: 'id', type: 'BIGINT' },
  { id: 2, name: 'name', type: 'VARCHAR' },
];

describe('icebergViewSql', () => {
  it('applies each delete only where the sequence numbers and partitions allow', async () => {
    const a = await parquet('a.parquet', `SELECT * FROM (VALUES (1, 'a1'), (2, 'a2'), (3, 'a3')) t(id, name)`, 'id: 1, name: 2');
    const b = await parquet('b.parquet', `SELECT * FROM (VALUES (1, 'b1'), (4, NULL)) t(id, name)`, 'id: 1, name: 2');
    const c = await parquet('c.parquet', `SELECT * FROM (VALUES (1, 'c1')) t(id, name)`, 'id: 1, name: 2');
    const byId = await parquet('eq-id.parquet', `SELECT 1 AS id`, 'id: 1');
    const byNullName = await parquet('eq-name.parquet', `SELECT CAST(NULL AS VARCHAR) AS name`, 'name: 2');
    const pos = await parquet('pos.parquet', `SELECT 's3://b/t/data/a.parquet' AS file_path, CAST(1 AS BIGINT) AS pos`);
    const stalePos = await parquet('pos-old.parquet', `SELECT 's3://b/t/data/b.parquet' AS file_path, CAST(0 AS BIGINT) AS pos`);
    const layouts = await readParquetColumns(connection, [a, b, c, byId, byNullName]);
    const plan: IcebergViewPlan = {
      viewName: 't',
      columns: COLUMNS,
      nameMapping: null,
      dataFiles: [
        { path: a, columns: layouts.get(a)!, uri: 's3://b/t/data/a.parquet', sequenceNumber: 1n, scope: '0:["s1"]' },
        { path: b, columns: layouts.get(b)!, uri: 's3://b/t/data/b.parquet', sequenceNumber: 1n, scope: '0:["s2"]' },
        { path: c, columns: layouts.get(c)!, uri: 's3://b/t/data/c.parquet', sequenceNumber: 2n, scope: '0:["s1"]' },
      ],
      positionDeletes: [
        { path: pos, sequenceNumber: 1n }, // drops a2: a's sequence number 1 ≤ 1
        { path: stalePos, sequenceNumber: 0n }, // older than b: keeps b1
      ],
      equalityDeletes: [
        // id = 1 in partition s1: drops a1, keeps b1 (other partition) and c1 (same sequence number).
        { path: byId, columns: layouts.get(byId)!, sequenceNumber: 2n, scope: '0:["s1"]', equalityIds: [1] },
        // name IS NULL table-wide: drops (4, NULL).
        { path: byNullName, columns: layouts.get(byNullName)!, sequenceNumber: 2n, scope: null, equalityIds: [2] },
      ],
    };
    await connection.run(icebergViewSql(plan));
    const rows = (await connection.runAndReadAll('SELECT id, name FROM t ORDER BY name')).getRowObjectsJS();
    expect(rows).toEqual([
      { id: 3n, name: 'a3' },
      { id: 1n, name: 'b1' },
      { id: 1n, name: 'c1' },
    ]);
  });

  it('gives a typed empty view for a table without data files', async () => {
    await connection.run(icebergViewSql({ viewName: 'empty "one"', columns: COLUMNS, nameMapping: null, dataFiles: [], positionDeletes: [], equalityDeletes: [] }));
    expect((await connection.runAndReadAll('SELECT count(*) AS n FROM "empty ""one"""')).getRowObjectsJS()).toEqual([{ n: 0n }]);
    const described = (await connection.runAndReadAll('DESCRIBE "empty ""one"""')).getRowObjectsJS().map((r) => `${r.column_name} ${r.column_type}`);
    expect(described).toEqual(['id BIGINT', 'name VARCHAR']);
  });

  it('refuses an equality delete on a field the view does not have', () => {
    expect(() =>
      icebergViewSql({
        viewName: 't',
        columns: COLUMNS,
        nameMapping: null,
        dataFiles: [{ path: '/x.parquet', columns: [], uri: 's3://b/x.parquet', sequenceNumber: 1n, scope: '0:[]' }],
        positionDeletes: [],
        equalityDeletes: [{ path: '/d.parquet', columns: [], sequenceNumber: 2n, scope: null, equalityIds: [7] }],
      }),
    ).toThrow('compares field id 7, which is no readable column of the current schema');
  });
});
