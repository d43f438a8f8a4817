import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../bin/invoice-lake.js', import.meta.url));

const NO_JOBS_DIR = mkdtempSync(join(tmpdir(), 'bench-no-jobs-'));

/**
 * The environment of the CLI in a workload: the stream alone. The shipped
 * jobs (jobs/) would otherwise run beside it and blur what is measured.
 */
export function benchCliEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'warn', JOBS_DIR: NO_JOBS_DIR, ...settings };
}
