import { LakeError } from '../errors/lake-error.ts';

/**
 * Named crash points for recovery tests. `INVOICE_LAKE_FAILPOINTS` lists
 * `name` or `name:action` entries separated by commas; the action is
 * `crash` (SIGKILL this process, as a power cut would), `throw` (the
 * default, for in-process tests) or `stall<ms>` (block the whole process
 * once, as a long GC pause or a frozen VM would, then go on: a zombie
 * writer). Unset in production: one env lookup.
 */
export type FailpointName =
  /** Data files, manifests and the new metadata file are written; the catalog swap has not happened. */
  | 'before-catalog-commit'
  /** Every table of the batch is committed; the slot has not been acknowledged. */
  | 'before-acknowledge'
  /** A job's result files are written; its output commit (with the input snapshot it read) has not happened. */
  | 'before-job-commit'
  /** A job's output is committed; its run is not yet recorded in job_runs. */
  | 'after-job-commit';

const stalled = new Set<FailpointName>();

export function failpoint(name: FailpointName, env: NodeJS.ProcessEnv = process.env): void {
  const configured = env.INVOICE_LAKE_FAILPOINTS;
  if (!configured) return;
  for (const entry of configured.split(',')) {
    const [entryName, action = 'throw'] = entry.trim().split(':');
    if (entryName !== name) continue;
    if (action === 'crash') process.kill(process.pid, 'SIGKILL');
    const stall = /^stall(\d+)$/.exec(action);
    if (stall) {
      if (stalled.has(name)) return;
      stalled.add(name);
      process.stderr.write(`failpoint ${name}: stalling ${stall[1]} ms\n`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(stall[1]));
      return;
    }
    throw new LakeError('failpoint', `failpoint ${name} triggered`, { retryable: false });
  }
}
