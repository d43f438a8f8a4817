import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../runtime/ts-worker.ts';
import { LakeError } from '../../errors/lake-error.ts';
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

const ENCODER_LOST_HINT = 'the batch is encoded again on a new thread; if the thread keeps dying, give the process more memory or lower BATCH_MAX_BYTES';

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
 * batch is in flight, and is replaced after it dies (crash, out of memory,
 * terminated): the requests in flight fail with a retryable `encoder`
 * LakeError, so the stream supervisor discards and resends them, and the
 * next request starts a new thread.
 */
export class WorkerEncoder implements BatchEncoder {
  #thread: EncoderThread | undefined;
  #nextId = 0;
  readonly #onThreadStart: ((worker: Worker) => void) | undefined;

  /** `onThreadStart` sees each thread as it starts (tests use it to kill one). */
  constructor(options: { onThreadStart?(worker: Worker): void } = {}) {
    this.#onThreadStart = options.onThreadStart;
  }

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
    const thread = this.#ensureThread();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      thread.inFlight.set(id, { resolve, reject });
      thread.worker.ref();
      thread.worker.postMessage(build(id), transfer);
    });
  }

  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    if (!thread) return;
    failAll(thread, new Error('the encoder was closed'));
    await thread.worker.terminate();
  }

  #ensureThread(): EncoderThread {
    if (this.#thread) return this.#thread;
    const worker = startTsWorker(new URL('./encoder-worker.ts', import.meta.url), { name: 'invoice-lake parquet encoder' });
    // Requests belong to the thread they were posted to: a dying thread fails only its own.
    const thread: EncoderThread = { worker, inFlight: new Map() };
    worker.on('message', (response: EncodeResponse) => {
      const waiting = thread.inFlight.get(response.id);
      if (!waiting) return;
      thread.inFlight.delete(response.id);
      if (thread.inFlight.size === 0) worker.unref();
      if ('error' in response) waiting.reject(new Error(`encoding failed: ${response.error}`));
      else waiting.resolve(response);
    });
    const lost = (message: string, cause?: unknown) => {
      if (this.#thread === thread) this.#thread = undefined;
      failAll(thread, new LakeError('encoder', message, { cause, hint: ENCODER_LOST_HINT }));
    };
    worker.on('error', (error) => lost(`the Parquet encoder thread failed: ${error.message}`, error));
    worker.on('exit', (code) => lost(`the Parquet encoder thread exited (code ${code})`));
    worker.unref();
    this.#thread = thread;
    this.#onThreadStart?.(worker);
    return thread;
  }
}

interface EncoderThread {
  worker: Worker;
  inFlight: Map<number, { resolve(response: EncodeResponse): void; reject(error: Error): void }>;
}

function failAll(thread: EncoderThread, error: Error): void {
  for (const waiting of thread.inFlight.values()) waiting.reject(error);
  thread.inFlight.clear();
}
