import type { LakeStorage } from '../storage/lake-storage.ts';
import type { ManifestEntry, ManifestFile, TableMetadata } from '../lake/iceberg/spec-types.ts';
import { decodeManifest, decodeManifestList } from '../lake/iceberg/manifest-reader.ts';
import { parseTableMetadata } from '../lake/iceberg/table-metadata-json.ts';

/** Enough for every manifest of a merged streaming table (≤ 100 live manifests each) several times over. */
const DEFAULT_MAX_FILES = 512;

/**
 * Decoded metadata files, manifest lists and manifests, keyed by location.
 * Iceberg never rewrites these files in place (a commit writes new ones), so a
 * cached decode is valid forever: a long-lived process pays each Avro read
 * once and a point lookup then costs no I/O beyond the Parquet it reads.
 * Least recently used files are dropped past `maxFiles`; a failed read is not
 * cached, so the next call retries it.
 */
export class ManifestCache {
  readonly #maxFiles: number;
  readonly #files = new Map<string, Promise<unknown>>();

  constructor(options: { maxFiles?: number } = {}) {
    this.#maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  }

  get size(): number {
    return this.#files.size;
  }

  metadata(storage: LakeStorage, location: string): Promise<TableMetadata> {
    return this.#get(`metadata:${location}`, async () => parseTableMetadata((await read(storage, location)).toString('utf8')));
  }

  manifestList(storage: LakeStorage, location: string): Promise<ManifestFile[]> {
    return this.#get(`list:${location}`, async () => decodeManifestList(await read(storage, location)));
  }

  /** Entries with snapshot ids and sequence numbers inherited from the manifest-list row. */
  manifest(storage: LakeStorage, manifest: ManifestFile): Promise<ManifestEntry[]> {
    // Inheritance depends on the list row, which for one path is always the same row (the manifest's first commit).
    return this.#get(`manifest:${manifest.manifestPath}`, async () => decodeManifest(await read(storage, manifest.manifestPath), manifest));
  }

  #get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.#files.get(key) as Promise<T> | undefined;
    if (cached) {
      this.#files.delete(key);
      this.#files.set(key, cached);
      return cached;
    }
    const loading = load();
    this.#files.set(key, loading);
    loading.catch(() => {
      if (this.#files.get(key) === loading) this.#files.delete(key);
    });
    while (this.#files.size > this.#maxFiles) this.#files.delete(this.#files.keys().next().value!);
    return loading;
  }
}

function read(storage: LakeStorage, uri: string): Promise<Buffer> {
  return storage.read(storage.relativePath(uri) ?? uri);
}
