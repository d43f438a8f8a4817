import { mkdir, open, readFile, readdir, rename, link, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { checkRange, type LakeStorage } from './lake-storage.ts';
import { LakeError } from '../errors/lake-error.ts';

/**
 * Local-disk lake storage. Files are written to a temporary name, fsynced,
 * then renamed (or hard-linked, for exclusive creation) into place, and the
 * directory is fsynced, so a crash leaves either the whole file or nothing.
 */
export class LocalStorage implements LakeStorage {
  readonly root: string;
  readonly #rootUri: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.#rootUri = pathToFileURL(this.root).href.replace(/\/?$/, '/');
  }

  uri(path: string): string {
    return new URL(path, this.#rootUri).href;
  }

  relativePath(uri: string): string | undefined {
    if (!uri.startsWith(this.#rootUri)) return undefined;
    return decodeURIComponent(uri.slice(this.#rootUri.length));
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    const target = this.#absolute(path);
    const temporary = await this.#writeTemporary(target, bytes);
    await rename(temporary, target);
    await syncDirectory(dirname(target));
  }

  async createExclusive(path: string, bytes: Uint8Array): Promise<boolean> {
    const target = this.#absolute(path);
    const temporary = await this.#writeTemporary(target, bytes);
    try {
      // link(2) fails with EEXIST atomically, unlike a check followed by rename.
      await link(temporary, target);
      await syncDirectory(dirname(target));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw storageError(`cannot create ${target}`, error);
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
  }

  async read(path: string): Promise<Buffer> {
    try {
      return await readFile(this.#absolute(path));
    } catch (error) {
      throw storageError(`cannot read ${this.#absolute(path)}`, error);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Buffer> {
    checkRange(offset, length);
    const absolute = this.#absolute(path);
    try {
      const handle = await open(absolute, 'r');
      try {
        const buffer = Buffer.alloc(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw storageError(`cannot read ${absolute} bytes ${offset}..${offset + length}`, error);
    }
  }

  async readIfExists(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.#absolute(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storageError(`cannot read ${this.#absolute(path)}`, error);
    }
  }

  async delete(path: string): Promise<void> {
    await unlink(this.#absolute(path)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw storageError(`cannot delete ${this.#absolute(path)}`, error);
    });
  }

  async list(prefix: string): Promise<string[]> {
    try {
      const names = await readdir(this.#absolute(prefix));
      return names.filter((name) => !name.startsWith('.')).map((name) => join(prefix, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storageError(`cannot list ${this.#absolute(prefix)}`, error);
    }
  }

  async queryPaths(uris: readonly string[]): Promise<string[]> {
    return uris.map((uri) => (uri.startsWith('file:') ? fileURLToPath(uri) : uri));
  }

  async checkWritable(): Promise<void> {
    const probe = `.write-check-${randomUUID()}`;
    try {
      await this.write(probe, new Uint8Array());
      await unlink(this.#absolute(probe));
    } catch (error) {
      throw new LakeError('config', `the lake directory ${this.root} is not writable: ${(error as Error).message}`, {
        cause: error,
        hint: 'point LAKE (--lake) at a directory this user can create and write',
      });
    }
  }

  #absolute(path: string): string {
    if (path.startsWith('file:')) return fileURLToPath(path);
    return join(this.root, path);
  }

  async #writeTemporary(target: string, bytes: Uint8Array): Promise<string> {
    const temporary = join(dirname(target), `.tmp-${randomUUID()}`);
    try {
      await makeDirectory(dirname(target));
      const handle = await open(temporary, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return temporary;
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw storageError(`cannot write ${target}`, error);
    }
  }
}

/**
 * mkdir -p without `{ recursive: true }`: Node 20's recursive mkdir loops
 * forever on some paths (under /proc, for one) instead of failing.
 */
async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(path) === path) throw error;
    await makeDirectory(dirname(path));
    try {
      await mkdir(path);
    } catch (retry) {
      if ((retry as NodeJS.ErrnoException).code !== 'EEXIST') throw retry;
    }
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function storageError(message: string, cause: unknown): LakeError {
  const code = (cause as NodeJS.ErrnoException).code;
  const retryable = code !== 'EACCES' && code !== 'EROFS' && code !== 'ENOTDIR';
  // Permissions and read-only mounts are configuration: exit 2 with the fix. ENOSPC and the rest heal.
  return new LakeError(retryable ? 'storage' : 'config', `${message}: ${(cause as Error).message}`, {
    cause,
    retryable,
    hint: retryable ? 'check free disk space' : 'check the permissions of the lake directory (LAKE)',
  });
}
