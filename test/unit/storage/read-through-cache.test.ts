import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadThroughCache } from '../../../src/storage/read-through-cache.ts';

describe('the read-through cache of immutable lake files', () => {
  let directory: string;
  let fetched: string[];
  const fetchInto = async (uri: string, path: string) => {
    fetched.push(uri);
    await writeFile(path, Buffer.alloc(100, uri.length));
  };

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'invoice-lake-cache-test-'));
    fetched = [];
  });
  afterEach(async () => rm(directory, { recursive: true, force: true }));

  /** Marks an entry as last used `ageMs` ago. */
  async function age(path: string, ageMs: number): Promise<void> {
    const then = new Date(Date.now() - ageMs);
    await utimes(path, then, then);
  }

  it('downloads a file once, keeps its name readable, and serves it from disk afterwards', async () => {
    const cache = new ReadThroughCache({ directory, maxBytes: 10_000 }, fetchInto);
    const [path] = await cache.localPaths(['s3://b/t/data/month=1/00001-a.parquet']);
    expect(path!.startsWith(directory)).toBe(true);
    expect(basename(path!)).toMatch(/-00001-a\.parquet$/);
    expect((await readFile(path!)).length).toBe(100);
    expect(await cache.localPaths(['s3://b/t/data/month=1/00001-a.parquet'])).toEqual([path]);
    // Another process (a new cache object) finds the entry on disk too.
    expect(await new ReadThroughCache({ directory, maxBytes: 10_000 }, fetchInto).localPaths(['s3://b/t/data/month=1/00001-a.parquet'])).toEqual([path]);
    expect(fetched).toEqual(['s3://b/t/data/month=1/00001-a.parquet']);
  });

  it('keeps files of the same name under different URIs apart', async () => {
    const cache = new ReadThroughCache({ directory, maxBytes: 10_000 }, fetchInto);
    const [a, b] = await cache.localPaths(['s3://one/x.parquet', 's3://two/x.parquet']);
    expect(a).not.toBe(b);
  });

  it('fetches a file once when two views ask for it at the same time', async () => {
    const cache = new ReadThroughCache({ directory, maxBytes: 10_000 }, fetchInto);
    const [first, second] = await Promise.all([cache.localPaths(['s3://b/x.parquet']), cache.localPaths(['s3://b/x.parquet'])]);
    expect(first).toEqual(second);
    expect(fetched).toEqual(['s3://b/x.parquet']);
  });

  it('evicts the least recently used files beyond the bound, never one the current request needs', async () => {
    const cache = new ReadThroughCache({ directory, maxBytes: 350, protectRecentMs: 0 }, fetchInto);
    const old = await cache.localPaths(['s3://b/1.parquet', 's3://b/2.parquet', 's3://b/3.parquet']);
    await age(old[0]!, 3000);
    await age(old[1]!, 1000);
    await age(old[2]!, 2000);
    // Two new files need room for 200 bytes: the two oldest (1, then 3) go, 2 stays.
    const fresh = await cache.localPaths(['s3://b/4.parquet', 's3://b/5.parquet']);
    const left = (await readdir(directory)).sort();
    expect(left).toEqual([old[1]!, fresh[0]!, fresh[1]!].map((path) => basename(path)).sort());
  });

  it('goes over the bound rather than evict a file the current request or a recent view uses', async () => {
    const cache = new ReadThroughCache({ directory, maxBytes: 150, protectRecentMs: 60_000 }, fetchInto);
    const paths = await cache.localPaths(['s3://b/1.parquet', 's3://b/2.parquet', 's3://b/3.parquet']);
    await cache.localPaths(['s3://b/4.parquet']);
    expect((await readdir(directory)).length).toBe(4);
    // Once they are no longer recent, the bound applies again.
    for (const path of paths) await age(path, 120_000);
    await cache.localPaths(['s3://b/5.parquet']);
    expect((await readdir(directory)).length).toBe(2); // 4 (still recent) and 5 (requested): 200 bytes, over the bound
  });

  it('leaves neither an entry nor a temporary file behind when a download fails', async () => {
    const cache = new ReadThroughCache({ directory, maxBytes: 10_000 }, async (_uri, path) => {
      await writeFile(path, 'partial');
      throw new Error('connection reset');
    });
    await expect(cache.localPaths(['s3://b/x.parquet'])).rejects.toThrow('connection reset');
    expect(await readdir(directory)).toEqual([]);
  });
});
