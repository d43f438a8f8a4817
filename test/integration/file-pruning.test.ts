import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import { FilesystemCatalog } from '../../src/catalog/filesystem-catalog.ts';
import { LakeTable } from '../../src/lake/lake-table.ts';
import { INVOICES_TABLE } from '../../src/lake/tables/lake-tables.ts';
import { ColumnBuffer } from '../../src/lake/batch/column-buffer.ts';
import { writeDataFiles } from '../../src/lake/batch/data-file-writer.ts';
import { monthFromMicros } from '../../src/lake/iceberg/transforms.ts';
import type { DataFile } from '../../src/lake/iceberg/spec-types.ts';
import { openLake, type Lake } from '../../src/lake/open-lake.ts';
import { LakeQuery } from '../../src/query/lake-query.ts';
import { pruneDataFiles } from '../../src/query/file-pruning.ts';
import { ManifestCache } from '../../src/query/manifest-cache.ts';
import { snapshotFiles } from '../../src/query/snapshot-files.ts';

const COMMITS = 40;
const ROWS_PER_COMMIT = 30;
/** Merge early so the snapshot holds both merged (EXISTING) and fresh (ADDED) manifests. */
const MERGE_AT = 8;
const START = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z
const SIX_HOURS = 21_600_000_000n;
const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

/**
 * A streaming-shaped table: 40 commits of 30 invoices in id and time order,
 * six hours apart (January to late October 2026), so commits that straddle a
 * month end write two files. Pruning must narrow an id to one file and a date
 * range to the files of its months, and DuckDB over the pruned files must
 * answer exactly as over all of them.
 */
describe('file pruning over a lake', () => {
  let root: string;
  let lake: Lake;
  let session: LakeQuery;
  let location: string;
  let allFiles: DataFile[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-lake-pruning-'));
    const storage = new LocalStorage(root);
    const table = new LakeTable({ storage, catalog: new FilesystemCatalog(storage) }, { namespace: 'lake', definition: INVOICES_TABLE, manifestMergeCount: MERGE_AT });
    await table.ensureCreated();
    let loaded = await table.load();
    let id = 1n;
    for (let commit = 0; commit < COMMITS; commit++) {
      const buffer = new ColumnBuffer(INVOICES_TABLE);
      for (let row = 0; row < ROWS_PER_COMMIT; row++, id++) {
        const issueDate = START + (id - 1n) * SIX_HOURS;
        buffer.append([id, issueDate, 1n + (id % 7n), 2n, id * 100n + 7n, 0.25, 'm@1', BigInt(commit), issueDate]);
      }
      const { table: next } = await table.append(loaded, await writeDataFiles(table, buffer), { 'invoice-lake.source-lsn': `0/${commit + 1}` });
      loaded = next;
    }
    location = loaded.metadataLocation;
    allFiles = (await snapshotFiles(storage, location)).dataFiles;
    lake = await openLake({ lake: root, catalog: 'filesystem', catalogUrl: undefined, catalogName: 'x', catalogSchema: 'x', namespace: 'lake' });
    session = await LakeQuery.open(lake);
  });
  afterAll(async () => {
    session?.close();
    await lake?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('writes more files than commits', () => {
    expect(allFiles.length).toBeGreaterThan(COMMITS);
  });

  it('narrows a point lookup to exactly one data file, which holds the row', async () => {
    for (const wanted of [1n, 517n, 518n, BigInt(COMMITS * ROWS_PER_COMMIT)]) {
      const pruned = await session.restrictView('invoices', [{ column: 'invoice_id', op: 'eq', value: wanted }]);
      expect(pruned.counts.filesSelected).toBe(1);
      expect(pruned.counts.filesConsidered).toBe(allFiles.length);
      const { rows } = await session.run('SELECT invoice_id::VARCHAR, amount::VARCHAR, issue_date::VARCHAR FROM invoices WHERE invoice_id = $1', [wanted]);
      const issueDate = new Date(Number((START + (wanted - 1n) * SIX_HOURS) / 1000n)).toISOString().replace('T', ' ').replace('.000Z', '+00');
      expect(rows).toEqual([[String(wanted), ((Number(wanted) * 100 + 7) / 100).toFixed(2), issueDate]]);
    }
    const missing = await session.restrictView('invoices', [{ column: 'invoice_id', op: 'eq', value: 999_999n }]);
    expect(missing.dataFiles).toEqual([]);
    expect((await session.run('SELECT count(*)::VARCHAR FROM invoices WHERE invoice_id = $1', [999_999n])).rows).toEqual([['0']]);
  });

  it('narrows a date range to the files of its months, with the same answer as a full scan', async () => {
    const from = micros('2026-08-01T00:00:00Z');
    const to = micros('2026-10-01T00:00:00Z');
    const sql = `SELECT issuer_id::VARCHAR, count(*)::VARCHAR, sum(amount)::VARCHAR FROM invoices
                  WHERE issue_date >= make_timestamptz(${from}) AND issue_date < make_timestamptz(${to}) GROUP BY issuer_id ORDER BY issuer_id`;
    await session.restrictView('invoices', []);
    const full = await session.run(sql);
    const pruned = await session.restrictView('invoices', [
      { column: 'issue_date', op: 'gte', value: from },
      { column: 'issue_date', op: 'lt', value: to },
    ]);
    const expected = allFiles.filter((file) => file.partition[0] === monthFromMicros(from) || file.partition[0] === monthFromMicros(from) + 1);
    expect(pruned.dataFiles.map((file) => file.filePath).sort()).toEqual(expected.map((file) => file.filePath).sort());
    expect(pruned.counts.manifestsRead).toBeLessThan(pruned.counts.manifestsConsidered);
    expect(full.rows.length).toBe(7);
    expect((await session.run(sql)).rows).toEqual(full.rows);
  });

  it('selects one file for every id, and every file for some id', async () => {
    const cache = new ManifestCache();
    const selected = new Set<string>();
    for (let id = 1n; id <= BigInt(COMMITS * ROWS_PER_COMMIT); id++) {
      const pruned = await pruneDataFiles(lake.storage, location, [{ column: 'invoice_id', op: 'eq', value: id }], cache);
      expect(pruned.dataFiles).toHaveLength(1);
      selected.add(pruned.dataFiles[0]!.filePath);
    }
    expect(selected.size).toBe(allFiles.length);
  });
});
