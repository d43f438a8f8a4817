import { chmod, lstat, mkdir, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { LakeError, messageOf } from '../errors/lake-error.ts';

/**
 * Directories that root creates at predictable names in a shared place
 * (/var/tmp) for the `postgres` user to read: the copy of the PostgreSQL
 * binaries and a relocated data directory. Anyone can create a name in
 * /var/tmp first (a symlink to /etc, a directory they own and later fill
 * with their own `postgres` binary), so a directory found there is used only
 * when nobody but root could have made or changed it.
 */

/** What decides trust, from lstat (a symlink is seen as one, never followed). */
export interface DirectoryFacts {
  isDirectory: boolean;
  isSymbolicLink: boolean;
  uid: number;
  mode: number;
}

const WRITABLE_BY_OTHERS = 0o022;
const STICKY = 0o1000;

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** Why a directory at one of our names must not be used, or undefined when only `ownerUid` can have written it. */
export function untrustedReason(facts: DirectoryFacts, ownerUid: number): string | undefined {
  if (facts.isSymbolicLink) return 'it is a symbolic link';
  if (!facts.isDirectory) return 'it is not a directory';
  if (facts.uid !== ownerUid) return `it is owned by uid ${facts.uid}, not ${ownerUid}`;
  // Even a sticky bit does not help here: others could add entries inside it.
  if (facts.mode & WRITABLE_BY_OTHERS) return `it is writable by other users (mode ${octal(facts.mode)})`;
  return undefined;
}

/**
 * Why an ancestor of our directories is unsafe: someone other than root
 * could rename our directory away and put theirs in its place. World-writable
 * with the sticky bit (/tmp, /var/tmp) is fine: entries there can be renamed
 * only by their owner.
 */
export function unsafeAncestorReason(facts: DirectoryFacts): string | undefined {
  if (!facts.isDirectory) return 'it is not a directory';
  if (facts.uid !== 0) return `it is owned by uid ${facts.uid}, not root`;
  if (facts.mode & WRITABLE_BY_OTHERS && !(facts.mode & STICKY)) return `it is writable by other users without the sticky bit (mode ${octal(facts.mode)})`;
  return undefined;
}

async function factsOf(path: string): Promise<DirectoryFacts> {
  const stats = await lstat(path);
  return { isDirectory: stats.isDirectory(), isSymbolicLink: stats.isSymbolicLink(), uid: stats.uid, mode: stats.mode };
}

/** Throws a LakeError naming the path and the fix unless `path` is a directory only `ownerUid` can have written. */
export async function checkTrustedDirectory(path: string, ownerUid = 0): Promise<void> {
  const reason = untrustedReason(await factsOf(path), ownerUid);
  if (reason === undefined) return;
  throw new LakeError('source-setup', `refusing to use ${path} for the embedded PostgreSQL: ${reason}`, {
    hint: `someone else may have created it; remove it (rm -rf ${path}) and start again: invoice-lake then creates it owned by root and writable only by root`,
  });
}

/** Creates `path` (mode 0755), or accepts an existing one that passes checkTrustedDirectory. */
export async function ensureTrustedDirectory(path: string, ownerUid = 0): Promise<void> {
  try {
    // mkdir never follows a symlink at `path`: EEXIST, then the check refuses it.
    await mkdir(path, { mode: 0o755 });
    await chmod(path, 0o755); // whatever the umask
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new LakeError('source-setup', `cannot create ${path} for the embedded PostgreSQL: ${messageOf(error)}`, { cause: error, hint: `check that ${dirname(path)} is writable and has free space` });
    }
  }
  await checkTrustedDirectory(path, ownerUid);
}

/**
 * Shared places for root's files, in order: /var/tmp survives reboots, so
 * the copy of the binaries (and a relocated demo database) is made once.
 */
export function sharedParentCandidates(): string[] {
  return ['/var/tmp', tmpdir(), '/tmp'];
}

/**
 * The first candidate (resolved) whose ancestors only root controls and that
 * `canEnter` confirms the postgres user can enter. Throws when none fits.
 */
export async function trustedParent(candidates: readonly string[], canEnter: (path: string) => boolean): Promise<string> {
  const rejected: string[] = [];
  for (const candidate of new Set(candidates)) {
    const resolved = await realpath(candidate).catch(() => undefined);
    if (resolved === undefined) {
      rejected.push(`${candidate}: does not exist`);
      continue;
    }
    const reason = await unsafeChainReason(resolved);
    if (reason !== undefined) rejected.push(`${resolved}: ${reason}`);
    else if (!canEnter(resolved)) rejected.push(`${resolved}: the postgres user cannot enter it`);
    else return resolved;
  }
  throw new LakeError('source-setup', `no shared directory where root can keep files for the postgres user (${rejected.join('; ')})`, {
    hint: 'make /var/tmp a root-owned directory with mode 1777, or set TMPDIR to a root-owned directory others can enter (chmod 1777 or 0755)',
  });
}

/** The first unsafe directory from `resolved` up to `/`, as a reason. */
async function unsafeChainReason(resolved: string): Promise<string | undefined> {
  for (let path = resolved; ; path = dirname(path)) {
    const reason = unsafeAncestorReason(await factsOf(path));
    if (reason !== undefined) return path === resolved ? reason : `${path}: ${reason}`;
    if (dirname(path) === path) return undefined;
  }
}
