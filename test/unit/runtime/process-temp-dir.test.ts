import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProcessTempDir, removeAbandonedTempDirs } from '../../../src/runtime/process-temp-dir.ts';

/** The pid of a process that has exited (pid reuse within the test is not a concern on Linux's pid ranges). */
function exitedPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid;
}

describe('process temp directories', () => {
  let parent: string;
  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'process-temp-test-'));
  });
  afterEach(async () => rm(parent, { recursive: true, force: true }));

  async function leftBehind(name: string): Promise<void> {
    await mkdir(join(parent, name));
    await writeFile(join(parent, name, '7.spool'), 'spooled bytes');
  }

  it('creates <prefix><pid>-XXXXXX and removes what exited processes left, with their files', async () => {
    const dead = exitedPid();
    await leftBehind(`invoice-lake-stream-${dead}-abc123`);
    const created = await createProcessTempDir(parent, 'invoice-lake-stream-');
    expect(created.startsWith(join(parent, `invoice-lake-stream-${process.pid}-`))).toBe(true);
    expect(await readdir(parent)).toEqual([created.slice(parent.length + 1)]);
  });

  it('keeps the directories of running processes, its own, other prefixes, names without a pid, and files', async () => {
    const dead = exitedPid();
    const kept = [
      `invoice-lake-stream-${process.pid}-own000`,
      `invoice-lake-stream-${process.ppid}-parent`,
      'invoice-lake-stream-Xy12ab',
      `invoice-lake-job-${dead}-other`,
      `unrelated-${dead}-dir`,
    ];
    for (const name of kept) await leftBehind(name);
    await writeFile(join(parent, `invoice-lake-stream-${dead}-file`), 'a file, not a directory');
    await leftBehind(`invoice-lake-stream-${dead}-gone01`);

    const removed = await removeAbandonedTempDirs(parent, 'invoice-lake-stream-');
    expect(removed).toEqual([`invoice-lake-stream-${dead}-gone01`]);
    expect((await readdir(parent)).sort()).toEqual([...kept, `invoice-lake-stream-${dead}-file`].sort());
  });

  it('asks whether each pid runs, and removes only those that do not', async () => {
    await leftBehind('invoice-lake-job-100-aaaaaa');
    await leftBehind('invoice-lake-job-200-bbbbbb');
    const asked: number[] = [];
    const removed = await removeAbandonedTempDirs(parent, 'invoice-lake-job-', (pid) => {
      asked.push(pid);
      return pid === 200;
    });
    expect(asked.sort()).toEqual([100, 200]);
    expect(removed).toEqual(['invoice-lake-job-100-aaaaaa']);
    expect(await readdir(parent)).toEqual(['invoice-lake-job-200-bbbbbb']);
  });

  it('does nothing when the parent does not exist', async () => {
    expect(await removeAbandonedTempDirs(join(parent, 'missing'), 'invoice-lake-job-')).toEqual([]);
  });
});
