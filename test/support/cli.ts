import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = fileURLToPath(new URL('../../bin/invoice-lake.js', import.meta.url));

/** The repository's own jobs/ (the shipped jobs). */
export const SHIPPED_JOBS_DIR = fileURLToPath(new URL('../../jobs', import.meta.url));

/**
 * CLI runs see no jobs unless a test passes JOBS_DIR: the shipped jobs would
 * otherwise run after every `run` and add tables the test did not ask for.
 */
const NO_JOBS_DIR = mkdtempSync(join(tmpdir(), 'invoice-lake-no-jobs-'));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `invoice-lake <args>` as a child process, the way a user runs it. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return completion(startCli(args, env));
}

export function startCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'warn', JOBS_DIR: NO_JOBS_DIR, ...env };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  return spawn(process.execPath, [CLI, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function completion(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}
