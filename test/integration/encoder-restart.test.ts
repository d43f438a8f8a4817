import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import { FilesystemCatalog } from '../../src/catalog/filesystem-catalog.ts';
import { LakeTable } from '../../src/lake/lake-table.ts';
import { INVOICES_TABLE } from '../../src/lake/tables/lake-tables.ts';
import { LakeWriter } from '../../src/pipeline/lake-writer.ts';
import { WorkerEncoder } from '../../src/lake/batch/parquet-encoder.ts';
import { ColumnBuffer } from '../../src/lake/batch/column-buffer.ts';
import type { ColumnBatch } from '../../src/lake/batch/column-batch.ts';
import { isLakeError } from '../../src/errors/lake-error.ts';
import type { RowValues } from '../../src/lake/tables/table-definition.ts';

const JAN_2026 = 1_767_225_600_000_000n;

function invoice(id: bigint): RowValues {
  return [id, JAN_2026, 1n, 2n, id * 101n, null, null, id, JAN_2026];
}

function batch(count: number): ColumnBatch {
  const buffer = new ColumnBuffer(INVOICES_TABLE);
  for (let i = 1; i <= count; i++) buffer.append(invoice(BigInt(i)));
  return buffer.take();
}

/** What the stream supervisor checks before it retries. */
function expectRetryableEncoderError(error: unknown): void {
  expect(isLakeError(error)).toBe(true);
  if (!isLakeError(error)) return;
  expect(error.kind).toBe('encoder');
  expect(error.retryable).toBe(true);
}

/**
 * The encoder thread can die (a crash, out of memory, terminated). What it
 * had in flight must fail with an error the supervisor retries, and the next
 * batch must get a new thread, so the stream resumes.
 */
describe('a Parquet encoder thread that dies', () => {
  const workers: Worker[] = [];
  const encoder = new WorkerEncoder({ onThreadStart: (worker) => workers.push(worker) });
  afterAll(async () => encoder.close());

  it('fails the encodes in flight with a retryable error, and the next encode starts a new thread', async () => {
    await encoder.warmUp();
    expect(workers).toHaveLength(1);
    const inFlight = encoder.encode(batch(2000));
    const error = await Promise.all([workers[0]!.terminate(), inFlight.then(() => undefined, (e: unknown) => e)]).then(([, e]) => e);
    expectRetryableEncoderError(error);
    expect((error as Error).message).toMatch(/exited/);

    const encoded = await encoder.encode(batch(10));
    expect(encoded.reduce((sum, file) => sum + file.recordCount, 0)).toBe(10);
    expect(workers).toHaveLength(2);
  });

  it('recovers the same way from a crash inside the thread', async () => {
    await encoder.warmUp();
    const thread = workers.at(-1)!;
    // A request the worker cannot even answer: an uncaught exception ends the thread before it reads the batch.
    thread.postMessage(null);
    const inFlight = encoder.encode(batch(100)).then(() => undefined, (e: unknown) => e);
    const error = await inFlight;
    expectRetryableEncoderError(error);
    expect((error as Error).message).toMatch(/thread failed: Cannot read properties of null/);

    const started = workers.length;
    expect(await encoder.encode(batch(5))).toHaveLength(1);
    expect(workers.length).toBe(started + 1);
  });

  it('starts a new thread for the next encode after an idle thread was killed', async () => {
    await encoder.warmUp();
    const started = workers.length;
    await workers.at(-1)!.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await encoder.encode(batch(3))).toHaveLength(1);
    expect(workers.length).toBe(started + 1);
  });

  describe('under the lake writer', () => {
    let root: string;
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'invoice-lake-encoder-'));
    });
    afterAll(async () => rm(root, { recursive: true, force: true }));

    it('fails the commit retryably; after discard the same writer commits again on a new thread', async () => {
      const storage = new LocalStorage(root);
      const table = new LakeTable({ storage, catalog: new FilesystemCatalog(storage) }, { namespace: 'encoder', definition: INVOICES_TABLE });
      await table.ensureCreated();
      const writer = await LakeWriter.open([table], { maxRows: 100_000, maxBytes: 1 << 30 }, encoder);
      await encoder.warmUp();

      for (let i = 1n; i <= 500n; i++) writer.append('invoices', invoice(i));
      // The commit hands its batch to the thread before it returns; the thread dies with it in flight.
      const landing = writer.commit(10n, JAN_2026).then(() => undefined, (e: unknown) => e);
      await workers.at(-1)!.terminate();
      expectRetryableEncoderError(await landing);
      expect(writer.watermark('invoices')).toBe(0n);

      // What the supervisor does: discard, and resend from the acknowledged position.
      writer.discard();
      for (let i = 1n; i <= 500n; i++) writer.append('invoices', invoice(i));
      const report = await writer.commit(10n, JAN_2026);
      expect(report.rows.invoices).toBe(500);
      expect(writer.watermark('invoices')).toBe(10n);
    });
  });
});
