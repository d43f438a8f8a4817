import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

export interface ReadThroughCacheOptions {
  /** Cache directory; shared safely by several processes (entries appear by atomic rename). */
  directory?: string;
  /** Soft bound: after a fetch, least recently used entries are evicted until the cache fits. */
  maxBytes: number;
  /** Downloads in flight at once. */
  concurrency?: number;
  /**
   * Entries used this recently are never evicted: a view created a moment ago
   * (in this process or another one sharing the directory) is probably being
   * queried right now, and DuckDB opens its files only when the query runs.
   */
  protectRecentMs?: number;
}

/** Writes the complete object behind `uri` to `path`, or throws. */
export type FetchInto = (uri: string, path: string) => Promise<void>;

export const DEFAULT_CACHE_DIR = join(tmpdir(), 'invoice-lake-cache');
const TEMPORARY = '.tmp-';

/**
 * Directories of the caches this process made. DuckDB query sessions may
 * read only the lake, its cache and the sources (query/file-access.ts); the
 * storage keeps its cache private, so the directories are known here.
 */
const directoriesInUse = new Set<string>();

/** Absolute directories of every read-through cache created in this process. */
export function readThroughCacheDirectories(): string[] {
  return [...directoriesInUse];
}
/** A temporary file this old belongs to a download that died (kill -9); it is removed. */
const ABANDONED_TEMPORARY_MS = 60 * 60 * 1000;

/**
 * A bounded local copy of immutable remote files, so DuckDB (without httpfs)
 * can read an object-storage lake. Lake data files never change after they are
 * written (every name is unique), so an entry never goes stale and no
 * validation request is needed on a hit.
 *
 * An entry is named after a hash of its URI (plus the original file name, for
 * readable directories and for DuckDB's extension sniffing), downloaded to a
 * temporary name and renamed into place, so a reader never sees a partial
 * file. The file's mtime is its last use: it is touched on every hit, and
 * eviction removes the oldest first, never an entry the current request
 * returns nor one used within `protectRecentMs`.
 */
export class ReadThroughCache {
  readonly directory: string;
  readonly #maxBytes: number;
  readonly #concurrency: number;
  readonly #protectRecentMs: number;
  readonly #fetchInto: FetchInto;
  readonly #downloads = new Map<string, Promise<void>>();
  #ready: Promise<void> | undefined;

  constructor(options: ReadThroughCacheOptions, fetchInto: FetchInto) {
    this.directory = options.directory ?? DEFAULT_CACHE_DIR;
    directoriesInUse.add(resolve(this.directory));
    this.#maxBytes = options.maxBytes;
    this.#concurrency = options.concurrency ?? 8;
    this.#protectRecentMs = options.protectRecentMs ?? 10 * 60 * 1000;
    this.#fetchInto = fetchInto;
  }

  /** Local paths of `uris`, in the same order, downloading the missing ones. */
  async localPaths(uris: readonly string[]): Promise<string[]> {
    await (this.#ready ??= this.#prepare());
    const names = uris.map(entryName);
    const unique = [...new Set(names)];
    let fetched = 0;
    await forEachBounded(unique, this.#concurrency, async (name) => {
      if (await this.#touch(name)) return;
      await this.#download(uris[names.indexOf(name)]!, name);
      fetched++;
    });
    if (fetched > 0) await this.#evict(new Set(unique));
    return names.map((name) => join(this.directory, name));
  }

  /** true when the entry exists (and is now the most recently used). */
  async #touch(name: string): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(join(this.directory, name), now, now);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /** One download per entry even when two views ask for the same file at once. */
  #download(uri: string, name: string): Promise<void> {
    let download = this.#downloads.get(name);
    if (!download) {
      download = this.#downloadOnce(uri, name).finally(() => this.#downloads.delete(name));
      this.#downloads.set(name, download);
    }
    return download;
  }

  async #downloadOnce(uri: string, name: string): Promise<void> {
    const temporary = join(this.directory, `${TEMPORARY}${randomUUID()}-${name}`);
    try {
      await this.#fetchInto(uri, temporary);
      await rename(temporary, join(this.directory, name));
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }

  async #evict(inUse: ReadonlySet<string>): Promise<void> {
    const entries = await this.#entries();
    let total = entries.reduce((sum, entry) => sum + entry.size, 0);
    if (total <= this.#maxBytes) return;
    const protectedSince = Date.now() - this.#protectRecentMs;
    const candidates = entries.filter((entry) => !inUse.has(entry.name) && entry.lastUsedMs < protectedSince).sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    for (const entry of candidates) {
      if (total <= this.#maxBytes) break;
      await unlink(join(this.directory, entry.name)).catch(() => undefined);
      total -= entry.size;
    }
  }

  /** Every complete entry on disk, including those other processes added. */
  async #entries(): Promise<Array<{ name: string; size: number; lastUsedMs: number }>> {
    const entries: Array<{ name: string; size: number; lastUsedMs: number }> = [];
    for (const name of await readdir(this.directory)) {
      if (name.startsWith(TEMPORARY)) continue;
      const info = await stat(join(this.directory, name)).catch(() => undefined);
      if (info?.isFile()) entries.push({ name, size: info.size, lastUsedMs: info.mtimeMs });
    }
    return entries;
  }

  async #prepare(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const abandonedBefore = Date.now() - ABANDONED_TEMPORARY_MS;
    for (const name of await readdir(this.directory)) {
      if (!name.startsWith(TEMPORARY)) continue;
      const info = await stat(join(this.directory, name)).catch(() => undefined);
      if (info && info.mtimeMs < abandonedBefore) await unlink(join(this.directory, name)).catch(() => undefined);
    }
  }
}

/** `<sha256(uri) prefix>-<file name>`: unique per URI, and still ends in `.parquet`. */
function entryName(uri: string): string {
  const digest = createHash('sha256').update(uri).digest('hex').slice(0, 24);
  const fileName = basename(uri.split(/[?#]/)[0]!).replace(/[^A-Za-z0-9._-]/g, '_').slice(-100);
  return `${digest}-${fileName}`;
}

async function forEachBounded<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(workers);
}
