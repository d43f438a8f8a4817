import { parentPort } from 'node:worker_threads';
import { encodeBatch } from './batch-encoding.ts';
import type { EncodeRequest, EncodeResponse } from './parquet-encoder.ts';

/** The encoder worker: batches in, Parquet bytes and metrics out (bytes transferred, not copied). */
const port = parentPort;
if (!port) throw new Error('encoder-worker.ts must run in a worker thread');
port.on('message', (request: EncodeRequest) => {
  let response: EncodeResponse;
  try {
    response = { id: request.id, encoded: encodeBatch(request.batch) };
  } catch (error) {
    response = { id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(response, 'encoded' in response ? response.encoded.map((file) => file.bytes.buffer as ArrayBuffer) : []);
});
