import { spawn } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LakeError, messageOf } from '../errors/lake-error.ts';
import type { PostgresBinaries } from './postgres-runtime.ts';
import { canAccess, runAs, type PostgresUser } from './postgres-user.ts';
import { sharedParentCandidates, trustedParent } from './trusted-directory.ts';

export interface PostgresCommandDeps {
  binaries: PostgresBinaries;
  /** Who the programs run as: the postgres user when we are root, else us. */
  user: PostgresUser | undefined;
  onLog?: (line: string) => void;
}

/**
 * initdb of a new cluster (https://www.postgresql.org/docs/current/app-initdb.html).
 * The superuser password goes through a file readable only by the user
 * initdb runs as, in a private directory removed afterwards.
 */
export async function initdb(deps: PostgresCommandDeps, options: { dataDir: string; username: string; password: string }): Promise<void> {
  const user = deps.user;
  const parent = user ? await trustedParent(sharedParentCandidates(), (path) => canAccess(user, path, '-x')) : tmpdir();
  const scratch = await mkdtemp(join(parent, 'invoice-lake-initdb-')); // 0700
  try {
    const passwordFile = join(scratch, 'password');
    await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600, flag: 'wx' });
    if (user) {
      await chown(passwordFile, user.uid, user.gid);
      await chown(scratch, user.uid, user.gid);
    }
    const args = [`--pgdata=${options.dataDir}`, '--auth=password', `--username=${options.username}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'];
    await run(deps, deps.binaries.initdb, args, {
      hint: `if ${options.dataDir} holds a half-made cluster from an interrupted first start, remove it and start again`,
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Runs pg_ctl (https://www.postgresql.org/docs/current/app-pg-ctl.html).
 * pg_ctl starts the server in its own session, so a Ctrl-C in the terminal
 * reaches invoice-lake (which then commits its last batch) and not the
 * database it still needs.
 */
export function pgCtl(deps: PostgresCommandDeps, args: string[], hint?: string): Promise<void> {
  return run(deps, deps.binaries.pgCtl, args, { hint, quiet: true });
}

/** Spawns a PostgreSQL program; any failure (cannot start, non-zero exit) is a LakeError with its output. */
function run(deps: PostgresCommandDeps, program: string, args: string[], options: { hint?: string; quiet?: boolean }): Promise<void> {
  const name = basename(program);
  const what = `${name}${args[0]?.startsWith('-') ? '' : ` ${args[0]}`}`;
  return new Promise<void>((resolve, reject) => {
    // cwd '/': the postgres user may be unable to enter ours.
    const child = spawn(program, args, { ...runAs(deps.user), cwd: '/', stdio: ['ignore', options.quiet ? 'ignore' : 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => deps.onLog?.(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      deps.onLog?.(chunk.toString('utf8'));
    });
    child.on('error', (error) =>
      reject(new LakeError('source-setup', `cannot run ${program}${deps.user ? ` as ${deps.user.name}` : ''}: ${messageOf(error)}`, { cause: error, hint: options.hint })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new LakeError('source-setup', `${what} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no output'}`, { hint: options.hint }));
    });
  });
}
