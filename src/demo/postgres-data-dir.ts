import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LakeError, messageOf } from '../errors/lake-error.ts';
import { canAccess, type PostgresUser } from './postgres-user.ts';
import { ensureTrustedDirectory, sharedParentCandidates, trustedParent } from './trusted-directory.ts';

/**
 * Where the data of a requested directory goes when the postgres user
 * cannot reach it: a pure function of the requested path, so the demo finds
 * its database again on the next run.
 */
export function relocatedDataDir(base: string, requested: string): string {
  const key = createHash('sha256').update(requested).digest('hex').slice(0, 16);
  return join(base, `invoice-lake-pgdata-${key}`, 'pgdata');
}

/**
 * The data directory the server will use for `requested`, created and owned
 * by the user PostgreSQL runs as. Not root: `requested` itself. Root: the
 * parent gets the search bit for others (a mkdtemp directory is 0700; search
 * lets postgres pass through to its own pgdata without listing anything),
 * and when postgres still cannot reach it (an ancestor only root can enter)
 * the data moves to relocatedDataDir, announced in one line.
 */
export async function reachableDataDir(deps: { user: PostgresUser | undefined; say: (line: string) => void }, requested: string): Promise<string> {
  const parent = dirname(requested);
  await mkdir(parent, { recursive: true }).catch((error: unknown) => {
    throw new LakeError('source-setup', `cannot create ${parent} for the embedded PostgreSQL: ${messageOf(error)}`, { cause: error, hint: 'choose a writable directory with --data-dir' });
  });
  const user = deps.user;
  if (!user) return requested;
  await chmod(parent, ((await stat(parent)).mode & 0o7777) | 0o011);
  if (canAccess(user, parent, '-x')) return ownedBy(user, requested);

  const base = await trustedParent(sharedParentCandidates(), (path) => canAccess(user, path, '-x'));
  const relocated = relocatedDataDir(base, join(await realpath(parent), basename(requested)));
  await ensureTrustedDirectory(dirname(relocated));
  deps.say(`keeping the embedded PostgreSQL data in ${relocated}: the ${user.name} user it runs as (PostgreSQL refuses root) cannot enter ${parent}`);
  return ownedBy(user, relocated);
}

/** Creates the data directory (0700) for `user`; one that already holds a cluster is left as initdb made it. */
async function ownedBy(user: PostgresUser, dataDir: string): Promise<string> {
  await mkdir(dataDir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await chown(dataDir, user.uid, user.gid);
  return dataDir;
}
