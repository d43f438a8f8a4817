/**
 * Where lake files live. Paths are relative to the lake root
 * (`invoices/data/...`); `uri()` gives the fully qualified location written
 * into Iceberg metadata, as the spec requires for v1/v2 tables.
 *
 * Durability: `write` and `createExclusive` return only after the bytes are
 * durable and visible under their final name in one piece, so a commit never
 * references a partial file. Idempotency: `write` replaces; `createExclusive`
 * refuses an existing name (metadata files are never overwritten).
 */
export interface LakeStorage {
  /** Human-readable root, e.g. `/srv/lake`. */
  readonly root: string;
  uri(path: string): string;
  /** The lake-relative path of a URI this storage produced, or undefined for a foreign URI. */
  relativePath(uri: string): string | undefined;
  write(path: string, bytes: Uint8Array): Promise<void>;
  /** false when the object already exists. */
  createExclusive(path: string, bytes: Uint8Array): Promise<boolean>;
  read(path: string): Promise<Buffer>;
  /** undefined when the object does not exist. */
  readIfExists(path: string): Promise<Buffer | undefined>;
  /** Removes an object; no error when it is already gone. */
  delete(path: string): Promise<void>;
  /** Lake-relative paths of the objects directly under `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** A path DuckDB can open for a data file URI. */
  queryPath(uri: string): string;
  /** Fails with a clear LakeError when the root cannot be written. */
  checkWritable(): Promise<void>;
}
