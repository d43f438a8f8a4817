// A worker thread does not inherit the TypeScript loader of the thread that
// started it, so it registers tsx itself before loading its .ts module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
