import { lstat, mkdir, mkdtemp, rm, symlink, chmod, chown } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTrustedDirectory, unsafeAncestorReason, untrustedReason, type DirectoryFacts } from '../../../src/demo/trusted-directory.ts';
import { LakeError } from '../../../src/errors/lake-error.ts';

const directory = (overrides: Partial<DirectoryFacts> = {}): DirectoryFacts => ({ isDirectory: true, isSymbolicLink: false, uid: 0, mode: 0o40755, ...overrides });

/**
 * A directory at a predictable name in a shared place (/var/tmp) is trusted
 * only when nobody but its owner (root) could have put it there or changed it
 * since: a symlink, another owner, or group/world write access is refused.
 */
describe('trusted directory rules', () => {
  it('accepts a root-owned 0755 directory', () => {
    expect(untrustedReason(directory(), 0)).toBeUndefined();
    expect(untrustedReason(directory({ mode: 0o40700 }), 0)).toBeUndefined();
  });

  it.each([
    ['a symlink', { isSymbolicLink: true, isDirectory: false }, /symbolic link/],
    ['a file', { isDirectory: false }, /not a directory/],
    ['owned by another user', { uid: 1000 }, /owned by uid 1000/],
    ['group-writable', { mode: 0o40775 }, /writable by other users/],
    ['world-writable', { mode: 0o40757 }, /writable by other users/],
    ['world-writable even with the sticky bit', { mode: 0o41777 }, /writable by other users/],
  ])('refuses %s', (_name, overrides, reason) => {
    expect(untrustedReason(directory(overrides), 0)).toMatch(reason);
  });

  it('accepts root-owned ancestors that only root can write, or that are sticky like /tmp', () => {
    expect(unsafeAncestorReason(directory())).toBeUndefined();
    expect(unsafeAncestorReason(directory({ mode: 0o41777 }))).toBeUndefined();
  });

  it('refuses ancestors where another user could rename our directory away', () => {
    expect(unsafeAncestorReason(directory({ mode: 0o40777 }))).toMatch(/writable by other users/);
    expect(unsafeAncestorReason(directory({ uid: 1000 }))).toMatch(/owned by uid 1000/);
  });
});

describe('ensureTrustedDirectory on disk', () => {
  const uid = process.getuid!();
  let parent: string;
  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'trusted-directory-test-'));
  });
  afterEach(async () => rm(parent, { recursive: true, force: true }));

  it('creates a missing directory with mode 0755, and accepts it the next time', async () => {
    const path = join(parent, 'runtime');
    await ensureTrustedDirectory(path, uid);
    const stats = await lstat(path);
    expect(stats.mode & 0o7777).toBe(0o755);
    await ensureTrustedDirectory(path, uid);
  });

  it('refuses a symlink planted at the name, without following it', async () => {
    const target = join(parent, 'elsewhere');
    await mkdir(target);
    await symlink(target, join(parent, 'runtime'));
    const error = await ensureTrustedDirectory(join(parent, 'runtime'), uid).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).message).toMatch(/symbolic link/);
    expect((error as LakeError).hint).toContain(join(parent, 'runtime'));
  });

  it('refuses a world-writable directory at the name', async () => {
    await mkdir(join(parent, 'runtime'));
    await chmod(join(parent, 'runtime'), 0o777);
    await expect(ensureTrustedDirectory(join(parent, 'runtime'), uid)).rejects.toThrow(/writable by other users/);
  });

  it.skipIf(uid !== 0)('refuses a directory another user created at the name (root only: needs chown)', async () => {
    await mkdir(join(parent, 'runtime'), { mode: 0o755 });
    await chown(join(parent, 'runtime'), 1234, 1234);
    await expect(ensureTrustedDirectory(join(parent, 'runtime'), 0)).rejects.toThrow(/owned by uid 1234/);
  });
});
