import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../runtime/ts-worker.ts';
import { transferablesOf, type ColumnBatch } from './column-batch.ts';
import { encodeBatch, type EncodedPartition } from './batch-encoding.ts';
import { featureImageTransferables, type FeatureStateImage } from '../../scoring/features/feature-checkpoint.ts';

export type EncodeRequest = { id: number; batch: ColumnBatch } | { id: number; featureState: FeatureStateImage };
export type EncodeResponse = { id: number; encoded: EncodedPartition[] } | { id: number; bytes: Uint8Array } | { id: number; error: string };

/** Turns column batches into Parquet files' bytes and metrics. */
export interface BatchEncoder {
  encode(batch: ColumnBatch): Promise<EncodedPartition[]>;
  close(): Promise<void>;
}

/** Encodes on the calling thread: for one-off writers and tests. */
export const inlineEncoder: BatchEncoder = {
  async encode(batch) {
    return encodeBatch(batch);
  },
  async close() {},
};

/**
 * Encodes on a worker thread, so Arrow conversion and Parquet compression
 * (most of a lake commit's CPU time) and feature checkpoints do not stall
 * decoding and scoring on the stream's thread. The batch's typed arrays are transferred, not copied;
 * the buffer that gave them away starts over with new ones.
 *
 * The worker is started on first use, keeps the process alive only while a
 * batch is in flight, and is replaced after a crash (the batches in flight
 * fail; the stream's retry resends them).
 */
export class WorkerEncoder implements BatchEncoder {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #inFlight = new Map<number, { resolve(response: EncodeResponse): void; reject(error: Error): void }>();

  async encode(batch: ColumnBatch): Promise<EncodedPartition[]> {
    const response = await this.#request((id) => ({ id, batch }), transferablesOf(batch));
    if (!('encoded' in response)) throw new Error('the encoder answered a batch with something else');
    return response.encoded;
  }

  /**
   * Starts the thread and encodes one row, so the first real commit does not
   * pay for loading the modules and compiling the WebAssembly (about a second).
   */
  async warmUp(): Promise<void> {
    const table = { name: 'warm_up', columns: [{ fieldId: 1, name: 'id', type: { kind: 'long' as const }, doc: '' }] };
    await this.encode({ table, columns: [{ kind: 'int64', values: new BigInt64Array([1n]), nulls: new Uint8Array(1) }], rowCount: 1 });
  }

  /** A feature state checkpoint (see feature-checkpoint.ts), encoded off the stream's thread. */
  async encodeFeatureState(image: FeatureStateImage): Promise<Uint8Array> {
    const response = await this.#request((id) => ({ id, featureState: image }), featureImageTransferables(image));
    if (!('bytes' in response)) throw new Error('the encoder answered a feature state with something else');
    return response.bytes;
  }

  #request(build: (id: number) => EncodeRequest, transfer: ArrayBuffer[]): Promise<EncodeResponse> {
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#inFlight.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(build(id), transfer);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll(new Error('the encoder was closed'));
    await worker?.terminate();
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startTsWorker(new URL('./encoder-worker.ts', import.meta.url), { name: 'invoice-lake parquet encoder' });
    worker.on('message', (response: EncodeResponse) => {
      const waiting = this.#inFlight.get(response.id);
      if (!waiting) return;
      this.#inFlight.delete(response.id);
      if (this.#inFlight.size === 0) worker.unref();
      if ('error' in response) waiting.reject(new Error(`encoding failed: ${response.error}`));
      else waiting.resolve(response);
    });
    const lost = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#failAll(error);
    };
    worker.on('error', (error) => lost(new Error(`the Parquet encoder thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => lost(new Error(`the Parquet encoder thread exited (code ${code})`)));
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #failAll(error: Error): void {
    for (const waiting of this.#inFlight.values()) waiting.reject(error);
    this.#inFlight.clear();
  }
}
