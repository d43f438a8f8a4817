import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import type { LakeStorage } from '../../src/storage/lake-storage.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { FilesystemCatalog } from '../../src/catalog/filesystem-catalog.ts';
import { LakeTable } from '../../src/lake/lake-table.ts';
import { INVOICES_TABLE, QUARANTINE_TABLE } from '../../src/lake/tables/lake-tables.ts';
import { LakeWriter, SOURCE_LSN_KEY } from '../../src/pipeline/lake-writer.ts';
import { WorkerEncoder, inlineEncoder, type BatchEncoder } from '../../src/lake/batch/parquet-encoder.ts';
import { ColumnBuffer } from '../../src/lake/batch/column-buffer.ts';
import { snapshotFiles } from '../../src/query/snapshot-files.ts';
import type { RowValues } from '../../src/lake/tables/table-definition.ts';
import { FeatureExtractor } from '../../src/scoring/features/feature-extractor.ts';
import { featureStateImage, serializeFeatureState } from '../../src/scoring/features/feature-checkpoint.ts';
import { generateLabelledInvoices } from '../../src/scoring/training/labelled-invoices.ts';

const JAN_2026 = 1_767_225_600_000_000n;
const DAY = 86_400_000_000n;

function invoice(id: bigint, day: bigint): RowValues {
  return [id, JAN_2026 + day * DAY, 1n + (id % 7n), 2n, id * 101n, 0.25, 'model@1', id, JAN_2026 + day * DAY];
}

const encoder = new WorkerEncoder();
afterAll(async () => encoder.close());

describe.each(['local disk', 'S3 (s3rver)'] as const)('the pipelined lake writer on %s', (backend) => {
  let root: string;
  let s3: TestS3Server | undefined;
  let storage: LakeStorage;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-lake-writer-'));
    if (backend === 'S3 (s3rver)') s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3?.stop();
    await rm(root, { recursive: true, force: true });
  });

  /** A lake of its own per test (table locations do not depend on the namespace). */
  async function tables(namespace: string): Promise<LakeTable[]> {
    storage = s3 ? s3.storage(namespace) : new LocalStorage(join(root, namespace));
    const catalog = new FilesystemCatalog(storage);
    const created = [INVOICES_TABLE, QUARANTINE_TABLE].map((definition) => new LakeTable({ storage, catalog }, { namespace, definition }));
    for (const table of created) await table.ensureCreated();
    return created;
  }

  it('takes the rows when a commit starts, accepts new rows while it lands, and lands commits in order', async () => {
    const lakeTables = await tables('ordered');
    const writer = await LakeWriter.open(lakeTables, { maxRows: 500, maxBytes: 1 << 30 }, encoder);
    let id = 0n;
    const commits: Array<Promise<unknown>> = [];
    for (let commit = 1; commit <= 5; commit++) {
      for (let i = 0; i < 1200; i++) {
        writer.append('invoices', invoice(++id, BigInt(commit * 3)));
        await writer.spillIfFull();
      }
      commits.push(writer.commit(BigInt(commit * 100), JAN_2026));
      // The next commit's rows are accepted while this one lands.
      expect(writer.freshRows).toBe(0);
      expect(writer.pendingRows).toBeGreaterThan(0);
    }
    const reports = (await Promise.all(commits)) as Array<{ lsn: bigint; rows: Record<string, number> }>;
    expect(reports.map((report) => report.lsn)).toEqual([100n, 200n, 300n, 400n, 500n]);
    expect(reports.every((report) => report.rows.invoices === 1200)).toBe(true);
    expect(writer.pendingRows).toBe(0);
    expect(writer.committing).toBe(false);
    expect(writer.watermark('invoices')).toBe(500n);
    expect(writer.watermark('quarantine')).toBe(0n);

    const reopened = await LakeWriter.open(lakeTables, { maxRows: 500, maxBytes: 1 << 30 });
    expect(reopened.summaryValue('invoices', SOURCE_LSN_KEY)).toBe('0/1F4');
    const loaded = await lakeTables[0]!.load();
    const { dataFiles } = await snapshotFiles(storage, loaded.metadataLocation);
    expect(dataFiles.reduce((sum, file) => sum + Number(file.recordCount), 0)).toBe(6000);
    const ids = dataFiles.flatMap((file) => [file.lowerBounds?.get(1), file.upperBounds?.get(1)]).map((bound) => Buffer.from(bound!).readBigInt64LE());
    expect(Math.min(...ids.map(Number))).toBe(1);
    expect(Math.max(...ids.map(Number))).toBe(6000);
  });

  it('fails the commit in flight and every later one when encoding fails, until discarded', async () => {
    const lakeTables = await tables('failing');
    let fail = false;
    const flaky: BatchEncoder = {
      encode: async (batch) => {
        if (fail) throw new Error('disk on fire');
        return inlineEncoder.encode(batch);
      },
      close: async () => undefined,
    };
    const writer = await LakeWriter.open(lakeTables, { maxRows: 10_000, maxBytes: 1 << 30 }, flaky);
    writer.append('invoices', invoice(1n, 1n));
    await writer.commit(10n, JAN_2026);
    fail = true;
    writer.append('invoices', invoice(2n, 1n));
    await expect(writer.commit(20n, JAN_2026)).rejects.toThrow('disk on fire');
    fail = false;
    writer.append('invoices', invoice(3n, 1n));
    await expect(writer.commit(30n, JAN_2026)).rejects.toThrow('disk on fire');
    expect(writer.watermark('invoices')).toBe(10n);

    writer.discard();
    expect(writer.pendingRows).toBe(0);
    writer.append('invoices', invoice(2n, 1n));
    await writer.commit(20n, JAN_2026);
    expect(writer.watermark('invoices')).toBe(20n);
  });

  it('never lands a commit that was discarded while its files were encoding', async () => {
    const lakeTables = await tables('discarded');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: BatchEncoder = {
      encode: async (batch) => {
        await gate;
        return inlineEncoder.encode(batch);
      },
      close: async () => undefined,
    };
    const writer = await LakeWriter.open(lakeTables, { maxRows: 10_000, maxBytes: 1 << 30 }, slow);
    writer.append('invoices', invoice(1n, 1n));
    const landing = writer.commit(10n, JAN_2026);
    writer.discard();
    release();
    await expect(landing).rejects.toThrow('discarded');
    await writer.settled();
    expect(writer.pendingRows).toBe(0);
    const loaded = await lakeTables[0]!.load();
    expect((await snapshotFiles(storage, loaded.metadataLocation)).dataFiles).toEqual([]);
  });

  it('refuses a lake table whose columns differ from the ones this version writes', async () => {
    const [invoices] = await tables('older');
    const catalog = new FilesystemCatalog(storage);
    const older = { ...INVOICES_TABLE, columns: INVOICES_TABLE.columns.slice(0, -1) };
    const table = new LakeTable({ storage, catalog }, { namespace: 'older', definition: older });
    await expect(table.load()).rejects.toThrow(/has columns \[.*\], this version writes/);
    await expect(invoices!.load()).resolves.toBeDefined();
  });
});

describe('the lake writer\'s encoder', () => {
  it('encodes byte-identical Parquet and metrics on the worker thread and inline', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => invoice(BigInt(i) - 1500n, BigInt(i % 70)));
    const fill = () => {
      const buffer = new ColumnBuffer(INVOICES_TABLE);
      for (const row of rows) buffer.append(row);
      return buffer.take();
    };
    const onWorker = await encoder.encode(fill());
    const inline = await inlineEncoder.encode(fill());
    expect(onWorker.map((file) => file.month)).toEqual([672, 673, 674]);
    expect(onWorker.length).toBe(inline.length);
    onWorker.forEach((file, i) => {
      expect(Buffer.from(file.bytes).equals(Buffer.from(inline[i]!.bytes))).toBe(true);
      expect(file.stats).toEqual(inline[i]!.stats);
      expect(file.recordCount).toBe(inline[i]!.recordCount);
    });
  });

  it('encodes a feature checkpoint on the worker from a copy taken at the boundary, unaffected by later invoices', async () => {
    const invoices = Array.from(generateLabelledInvoices({ seed: 5, count: 4000, customers: 300, months: 2, now: new Date('2026-11-01T00:00:00Z') }), (row) => row.invoice);
    const extractor = new FeatureExtractor();
    extractor.extractBatch(invoices.slice(0, 3000));
    const atBoundary = serializeFeatureState(extractor);
    const image = featureStateImage(extractor.state, { copy: true });
    extractor.extractBatch(invoices.slice(3000));
    const encoded = await encoder.encodeFeatureState(image);
    expect(Buffer.from(encoded).equals(Buffer.from(atBoundary))).toBe(true);
    expect(Buffer.from(serializeFeatureState(extractor)).equals(Buffer.from(atBoundary))).toBe(false);
  });
});
