import { parentPort } from 'node:worker_threads';
import { encodeBatch } from './batch-encoding.ts';
import { encodeFeatureImage } from '../../scoring/features/feature-checkpoint.ts';
import type { EncodeRequest, EncodeResponse } from './parquet-encoder.ts';

/** The encoder worker: batches and feature states in, bytes (transferred, not copied) and metrics out. */
const port = parentPort;
if (!port) throw new Error('encoder-worker.ts must run in a worker thread');
port.on('message', (request: EncodeRequest) => {
  let response: EncodeResponse;
  try {
    response = 'batch' in request ? { id: request.id, encoded: encodeBatch(request.batch) } : { id: request.id, bytes: encodeFeatureImage(request.featureState) };
  } catch (error) {
    response = { id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  const transfer = 'encoded' in response ? response.encoded.map((file) => file.bytes.buffer as ArrayBuffer) : 'bytes' in response ? [response.bytes.buffer as ArrayBuffer] : [];
  port.postMessage(response, transfer);
});
