import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A private temporary directory named after this process
 * (`<prefix><pid>-XXXXXX`), created after removing the ones left by processes
 * of the same prefix that no longer run. A process killed with `kill -9`
 * cannot clean up after itself; the next one does, so spooled transactions
 * and job scratch files do not pile up across crashes.
 */
export async function createProcessTempDir(parent: string, prefix: string): Promise<string> {
  await removeAbandonedTempDirs(parent, prefix);
  return mkdtemp(join(parent, `${prefix}${process.pid}-`));
}

/** Removes `<prefix><pid>-*` directories in `parent` whose process is gone. Returns the removed names. */
export async function removeAbandonedTempDirs(parent: string, prefix: string, isRunning: (pid: number) => boolean = processIsRunning): Promise<string[]> {
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith(prefix)) continue;
    const pid = /^(\d+)-/.exec(entry.name.slice(prefix.length))?.[1];
    // Names without a pid (older versions, other tools) and our own are left alone.
    if (pid === undefined || Number(pid) === process.pid || isRunning(Number(pid))) continue;
    // Another process may sweep the same directory at the same moment: whoever loses finds nothing to remove.
    await rm(join(parent, entry.name), { recursive: true, force: true }).catch(() => undefined);
    removed.push(entry.name);
  }
  return removed;
}

/** Signal 0 checks existence only. EPERM: it runs, as another user. */
function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
