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
  /**
   * true when `queryPaths` downloads (object storage): query sessions then
   * fetch a table's data files only for a statement that reads the table.
   */
  readonly remote?: boolean;
  uri(path: string): string;
  /** The lake-relative path of a URI this storage produced, or undefined for a foreign URI. */
  relativePath(uri: string): string | undefined;
  write(path: string, bytes: Uint8Array): Promise<void>;
  /** false when the object already exists. */
  createExclusive(path: string, bytes: Uint8Array): Promise<boolean>;
  read(path: string): Promise<Buffer>;
  /** undefined when the object does not exist. */
  readIfExists(path: string): Promise<Buffer | undefined>;
  /**
   * Bytes [offset, offset + length) of an object: fewer when it ends sooner,
   * none at or past its end. Throws when the object does not exist.
   */
  readRange(path: string, offset: number, length: number): Promise<Buffer>;
  /** Removes an object; no error when it is already gone. */
  delete(path: string): Promise<void>;
  /** Lake-relative paths of the objects directly under `prefix`. */
  list(prefix: string): Promise<string[]>;
  /**
   * Paths DuckDB can open for data file URIs, in the same order. Local disk
   * hands back the files themselves; object storage fetches them into a
   * bounded local read-through cache first (DuckDB has no httpfs here).
   */
  queryPaths(uris: readonly string[]): Promise<string[]>;
  /** Fails with a clear LakeError when the root cannot be written. */
  checkWritable(): Promise<void>;
  /** Object storage only: how another S3 reader (DuckDB's httpfs) reaches the bucket. */
  s3ReadAccess?(): Promise<S3ReadAccess>;
  /** Releases connections (an S3 client's sockets); optional. */
  close?(): Promise<void>;
}

/** Credentials (resolved by the AWS SDK's default chain) and addressing for another S3 reader of the lake's bucket. */
export interface S3ReadAccess {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /** `http(s)://host[:port]` of an S3-compatible store; undefined for AWS S3. */
  endpoint?: string | undefined;
  pathStyle: boolean;
}

/** A byte range's offset and length must be whole numbers, the length at least 1. */
export function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 1) {
    throw new RangeError(`invalid byte range: offset ${offset}, length ${length}`);
  }
}
