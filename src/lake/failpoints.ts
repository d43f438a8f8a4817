import { LakeError } from '../errors/lake-error.ts';

/**
 * Named crash points for recovery tests. `INVOICE_LAKE_FAILPOINTS` lists
 * `name` or `name:action` entries separated by commas; the action is
 * `crash` (SIGKILL this process, as a power cut would) or `throw`
 * (the default, for in-process tests). Unset in production: one env lookup.
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

export function failpoint(name: FailpointName, env: NodeJS.ProcessEnv = process.env): void {
  const configured = env.INVOICE_LAKE_FAILPOINTS;
  if (!configured) return;
  for (const entry of configured.split(',')) {
    const [entryName, action = 'throw'] = entry.trim().split(':');
    if (entryName !== name) continue;
    if (action === 'crash') process.kill(process.pid, 'SIGKILL');
    throw new LakeError('failpoint', `failpoint ${name} triggered`, { retryable: false });
  }
}
