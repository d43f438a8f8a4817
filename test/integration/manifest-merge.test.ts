import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import { FilesystemCatalog } from '../../src/catalog/filesystem-catalog.ts';
import { LakeTable, currentSnapshot } from '../../src/lake/lake-table.ts';
import { INVOICES_TABLE } from '../../src/lake/tables/lake-tables.ts';
import { ColumnBuffer } from '../../src/lake/batch/column-buffer.ts';
import { writeDataFiles } from '../../src/lake/batch/data-file-writer.ts';
import { decodeManifest, decodeManifestList } from '../../src/lake/iceberg/manifest-reader.ts';
import { snapshotFiles } from '../../src/query/snapshot-files.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { LakeQuery } from '../../src/query/lake-query.ts';
import { localTableUrl, serveLocalFiles } from '../support/icebird-fetch.ts';
import { serveS3Objects } from '../support/icebird-s3-fetch.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import type { LakeStorage } from '../../src/storage/lake-storage.ts';

const MERGE_AT = 4;
const COMMITS = 11;

/**
 * A streaming table gets a manifest per commit; past the threshold they are
 * merged into one manifest of EXISTING entries that keep their sequence
 * numbers, and every reader still sees every row exactly once.
 */
describe.each(['local disk', 'S3 (s3rver)'] as const)('manifest merging on %s', (backend) => {
  let root: string;
  let s3: TestS3Server | undefined;
  let table: LakeTable;
  let storage: LakeStorage;
  const counts: number[] = [];
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-lake-merge-'));
    if (backend === 'S3 (s3rver)') {
      s3 = await startS3Server();
      // openLake below builds its own client from the AWS default provider chain, as the CLI does.
      Object.assign(process.env, s3.env);
    }
    storage = s3 ? s3.storage('merge') : new LocalStorage(root);
    const catalog = new FilesystemCatalog(storage);
    table = new LakeTable({ storage, catalog }, { namespace: 'lake', definition: INVOICES_TABLE, manifestMergeCount: MERGE_AT });
    await table.ensureCreated();
    let loaded = await table.load();
    let id = 1n;
    for (let commit = 0; commit < COMMITS; commit++) {
      const buffer = new ColumnBuffer(INVOICES_TABLE);
      for (let row = 0; row < 10; row++, id++) {
        // Two months per commit, so each commit adds two data files.
        const issueDate = 1_767_225_600_000_000n + BigInt(commit % 2) * 2_678_400_000_000n + BigInt(row) * 1_000_000n;
        buffer.append([id, issueDate, 1n, 2n, id * 100n + 1n, 0.5, 'm', BigInt(commit), issueDate]);
        if (row === 4) buffer.append([id + 1_000_000n, issueDate + 40n * 86_400_000_000n, 1n, 2n, 1n, null, null, BigInt(commit), issueDate]);
      }
      const files = await writeDataFiles(table, buffer);
      const { table: next } = await table.append(loaded, files, { 'invoice-lake.source-lsn': `0/${commit + 1}` });
      loaded = next;
      counts.push((await decodeManifestList(await storage.read(storage.relativePath(currentSnapshot(loaded.metadata)!.manifestList)!))).length);
    }
  });
  afterAll(async () => {
    process.env = savedEnv;
    await s3?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('never keeps more than the threshold of manifests', () => {
    expect(Math.max(...counts)).toBeLessThanOrEqual(MERGE_AT);
    expect(counts).toContain(2); // a merge happened: the new manifest plus the merged one
  });

  it('keeps every data file once, with the sequence number of the commit that added it', async () => {
    const { metadata } = await table.load();
    const manifests = await decodeManifestList(await storage.read(storage.relativePath(currentSnapshot(metadata)!.manifestList)!));
    const entries = (await Promise.all(manifests.map(async (m) => decodeManifest(await storage.read(storage.relativePath(m.manifestPath)!), m)))).flat();
    expect(entries).toHaveLength(COMMITS * 2);
    expect(new Set(entries.map((entry) => entry.dataFile.filePath)).size).toBe(COMMITS * 2);
    expect(new Set(entries.map((entry) => entry.sequenceNumber)).size).toBe(COMMITS);
    expect(entries.filter((entry) => entry.status === 0).length).toBeGreaterThan(0);
    const viaScan = await snapshotFiles(storage, (await table.load()).metadataLocation);
    expect(viaScan.dataFiles.reduce((sum, file) => sum + file.recordCount, 0n)).toBe(BigInt(COMMITS * 11));
  });

  it.runIf(backend === 'S3 (s3rver)')('fetches data files into the query cache only for statements that read them', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'invoice-lake-merge-cache-'));
    const cached = async () => (await readdir(cacheDir)).filter((name) => name.endsWith('.parquet')).length;
    const lake = await openLake({ lake: storage.root, catalog: 'filesystem', catalogUrl: undefined, catalogName: 'x', catalogSchema: 'x', namespace: 'lake', s3: { endpoint: s3!.endpoint }, cache: { directory: cacheDir } });
    const session = await LakeQuery.open(lake);
    try {
      expect(await cached()).toBe(0);
      expect((await session.run('SELECT 42')).rows).toEqual([[42]]);
      expect(await cached()).toBe(0);
      // A point lookup fetches the files its manifests select, not the table.
      const pruned = await session.restrictView('invoices', [{ column: 'invoice_id', op: 'eq', value: 5n }]);
      expect(pruned.counts.filesSelected).toBeLessThan(COMMITS * 2);
      expect((await session.run('SELECT amount::VARCHAR FROM invoices WHERE invoice_id = 5')).rows).toEqual([['5.01']]);
      expect(await cached()).toBe(pruned.counts.filesSelected);
      await session.restrictView('invoices', []);
      expect((await session.run('SELECT count(*)::INTEGER FROM invoices')).rows).toEqual([[COMMITS * 11]]);
      expect(await cached()).toBe(COMMITS * 2);
    } finally {
      session.close();
      await lake.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('reads back every row once through DuckDB and through icebird', async () => {
    const lake = await openLake({
      lake: s3 ? storage.root : root,
      catalog: 'filesystem',
      catalogUrl: undefined,
      catalogName: 'x',
      catalogSchema: 'x',
      namespace: 'lake',
      ...(s3 && { s3: { endpoint: s3.endpoint }, cache: { directory: s3.cacheDir } }),
    });
    const session = await LakeQuery.open(lake);
    try {
      const { rows } = await session.run('SELECT count(*)::VARCHAR, count(DISTINCT invoice_id)::VARCHAR, sum(amount)::VARCHAR FROM invoices');
      // Main rows carry id·100 + 1 cents for ids 1..110, each commit's extra row 1 cent.
      const ids = COMMITS * 10;
      const cents = ((ids * (ids + 1)) / 2) * 100 + ids + COMMITS;
      expect(rows).toEqual([[String(COMMITS * 11), String(COMMITS * 11), (cents / 100).toFixed(2)]]);
    } finally {
      session.close();
      await lake.close();
    }
    const served = s3 ? serveS3Objects(s3.endpoint) : serveLocalFiles();
    try {
      const rows = await icebergRead({ tableUrl: s3 ? `${storage.root}/invoices` : localTableUrl(join(root, 'invoices')) });
      expect(rows).toHaveLength(COMMITS * 11);
      expect(new Set(rows.map((row: Record<string, unknown>) => String(row.invoice_id))).size).toBe(COMMITS * 11);
    } finally {
      served.restore();
    }
  });
});
