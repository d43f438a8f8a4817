import { Worker } from 'node:worker_threads';

const ENTRY = new URL('./ts-worker-entry.mjs', import.meta.url);

/** Starts a worker thread running a TypeScript module (given as its file URL). */
export function startTsWorker(module: URL, options: { name: string }): Worker {
  return new Worker(ENTRY, { workerData: { module: module.href }, name: options.name });
}
