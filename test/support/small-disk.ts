import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A small file system of its own (tmpfs), to run a lake out of space and give
 * the space back. Mounting needs root; `mountSmallDisk` says why it could not.
 */
export interface SmallDisk {
  readonly path: string;
  /** Writes a filler file until the disk is full (ENOSPC); returns the bytes written. */
  fill(): Promise<number>;
  /** Removes the filler. */
  free(): Promise<void>;
  freeBytes(): Promise<number>;
  unmount(): Promise<void>;
}

export async function mountSmallDisk(sizeMb: number): Promise<SmallDisk | { unavailable: string }> {
  if (process.getuid?.() !== 0) return { unavailable: 'mounting a tmpfs needs root' };
  const path = await mkdtemp(join(tmpdir(), 'invoice-lake-small-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', path]);
  } catch (error) {
    await rmdir(path).catch(() => undefined);
    return { unavailable: `mount -t tmpfs failed: ${(error as Error).message.trim()}` };
  }
  const fillers: string[] = [];
  return {
    path,
    async fill() {
      let written = 0;
      // Large blocks first, then small ones for the last bytes.
      for (const blockSize of [1 << 20, 4096, 512]) {
        const file = join(path, `.filler-${fillers.length}`);
        fillers.push(file);
        const handle = await open(file, 'w');
        const block = Buffer.alloc(blockSize, 0xa5);
        try {
          while (true) {
            const { bytesWritten } = await handle.write(block);
            written += bytesWritten;
            if (bytesWritten < blockSize) break;
          }
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        } finally {
          await handle.close().catch(() => undefined);
        }
      }
      return written;
    },
    async free() {
      await Promise.all(fillers.splice(0).map((file) => rm(file, { force: true })));
    },
    async freeBytes() {
      const stats = await statfs(path);
      return stats.bavail * stats.bsize;
    },
    async unmount() {
      await run('umount', ['-l', path]).catch(() => undefined);
      await rmdir(path).catch(() => undefined);
    },
  };
}
