import { open, type FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { checkRange, type LakeStorage, type S3ReadAccess } from './lake-storage.ts';
import { ReadThroughCache } from './read-through-cache.ts';
import { splitS3Uri, type S3Location } from './s3-location.ts';
import { LakeError, messageOf } from '../errors/lake-error.ts';

export interface S3StorageOptions {
  location: S3Location;
  /** S3-compatible endpoint (MinIO, s3rver, ...); undefined: AWS S3 in the SDK's region. */
  endpoint?: string | undefined;
  /** Path-style addressing; default: true with an endpoint (most S3-compatible stores need it). */
  forcePathStyle?: boolean | undefined;
  /** Read-through cache of data files for DuckDB. */
  cache: { directory?: string | undefined; maxBytes: number };
  /** Objects above this size are uploaded in parts. */
  multipartThreshold?: number;
  /** Part size of multipart uploads (S3 requires at least 5 MiB for every part but the last). */
  partSize?: number;
  /** Range size of downloads into the read-through cache. */
  rangeSize?: number;
  /** Page size of list requests (S3's own maximum is 1000; smaller only in tests). */
  listPageSize?: number;
  /** Test hook: a client of one's own. */
  client?: S3Client;
}

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const PARTS_IN_FLIGHT = 4;
const RANGES_IN_FLIGHT = 4;
/** GETs whose body stream broke: tried this often in all, 100, 200, 400 ms apart. */
const BODY_READ_ATTEMPTS = 4;
const BODY_READ_RETRY_MS = 100;

/**
 * Lake storage in an S3 bucket (`LAKE=s3://bucket/prefix`).
 *
 * Durability: an S3 PUT (and CompleteMultipartUpload) makes an object visible
 * whole or not at all, and `write` resolves only after S3 acknowledged it, so
 * a commit never references a partial object.
 *
 * Exclusive creation is a conditional PUT (`If-None-Match: *`), which AWS S3,
 * MinIO and R2 honour. Some S3 emulators (s3rver among them) ignore the
 * header, so a HEAD check first refuses the common sequential case; the race
 * it leaves on such stores only matters for CATALOG=filesystem, whose commits
 * rely on exclusive creation. The default JDBC catalog commits by
 * compare-and-swap in PostgreSQL, which is what guarantees exactly-once there.
 *
 * Credentials come from the AWS default provider chain (environment, profile,
 * SSO, container or instance role) and never pass through settings or logs.
 * Retries: the SDK's adaptive retry strategy (exponential backoff with jitter
 * on throttling such as SlowDown/503 and on 5xx), up to `AWS_MAX_ATTEMPTS`
 * (default here 8).
 */
export class S3Storage implements LakeStorage {
  readonly root: string;
  readonly remote = true;
  readonly bucket: string;
  readonly #prefix: string;
  readonly #rootUri: string;
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #cache: ReadThroughCache;
  readonly #multipartThreshold: number;
  readonly #partSize: number;
  readonly #listPageSize: number;
  readonly #rangeSize: number;
  readonly #endpoint: string | undefined;
  readonly #pathStyle: boolean;

  constructor(options: S3StorageOptions) {
    this.bucket = options.location.bucket;
    this.#prefix = options.location.prefix;
    this.root = `s3://${this.bucket}${this.#prefix ? `/${this.#prefix}` : ''}`;
    this.#rootUri = `${this.root}/`;
    this.#client = options.client ?? new S3Client(clientConfig(options));
    this.#ownsClient = options.client === undefined;
    this.#cache = new ReadThroughCache(options.cache, (uri, path) => this.#download(uri, path));
    this.#multipartThreshold = options.multipartThreshold ?? 16 * MiB;
    this.#partSize = Math.max(options.partSize ?? 8 * MiB, MIN_PART_SIZE);
    this.#listPageSize = options.listPageSize ?? 1000;
    this.#rangeSize = options.rangeSize ?? 8 * MiB;
    this.#endpoint = options.endpoint;
    this.#pathStyle = options.forcePathStyle ?? options.endpoint !== undefined;
  }

  async s3ReadAccess(): Promise<S3ReadAccess> {
    const credentials = await this.#client.config.credentials();
    return {
      region: await this.#client.config.region(),
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      endpoint: this.#endpoint,
      pathStyle: this.#pathStyle,
    };
  }

  uri(path: string): string {
    return this.#rootUri + trimSlashes(path);
  }

  relativePath(uri: string): string | undefined {
    return uri.startsWith(this.#rootUri) ? uri.slice(this.#rootUri.length) : undefined;
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    const target = this.#object(path);
    try {
      if (bytes.byteLength > this.#multipartThreshold) await this.#writeMultipart(target, bytes);
      else await this.#client.send(new PutObjectCommand({ ...target, Body: bytes, ContentLength: bytes.byteLength }));
    } catch (error) {
      throw storageError(`cannot write ${s3Uri(target)}`, error);
    }
  }

  async createExclusive(path: string, bytes: Uint8Array): Promise<boolean> {
    const target = this.#object(path);
    try {
      if (await this.#exists(target)) return false;
      await this.#client.send(new PutObjectCommand({ ...target, Body: bytes, ContentLength: bytes.byteLength, IfNoneMatch: '*' }));
      return true;
    } catch (error) {
      // 412: the object exists. ConditionalRequestConflict (409): a concurrent conditional write to the same key is
      // in flight; refusing is the safe answer, the caller treats it like losing the race.
      if (httpStatus(error) === 412 || errorCode(error) === 'ConditionalRequestConflict') return false;
      throw storageError(`cannot create ${s3Uri(target)}`, error);
    }
  }

  async read(path: string): Promise<Buffer> {
    const bytes = await this.readIfExists(path);
    if (bytes === undefined) {
      throw new LakeError('storage', `cannot read ${s3Uri(this.#object(path))}: no such object`, { retryable: false });
    }
    return bytes;
  }

  async readIfExists(path: string): Promise<Buffer | undefined> {
    const target = this.#object(path);
    try {
      return (await this.#get(target)).body;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw storageError(`cannot read ${s3Uri(target)}`, error);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Buffer> {
    checkRange(offset, length);
    const target = this.#object(path);
    try {
      return await this.#getRange(target, offset, length);
    } catch (error) {
      // 416: the range starts at or past the end (every range of an empty object does).
      if (httpStatus(error) === 416) return Buffer.alloc(0);
      if (isNotFound(error)) throw new LakeError('storage', `cannot read ${s3Uri(target)}: no such object`, { retryable: false });
      throw storageError(`cannot read ${s3Uri(target)} bytes ${offset}..${offset + length}`, error);
    }
  }

  async delete(path: string): Promise<void> {
    const target = this.#object(path);
    try {
      // DeleteObject succeeds for a missing key, as the contract wants.
      await this.#client.send(new DeleteObjectCommand(target));
    } catch (error) {
      throw storageError(`cannot delete ${s3Uri(target)}`, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const directory = trimSlashes(prefix);
    const keyPrefix = this.#key(directory);
    const listed = keyPrefix === '' ? '' : `${keyPrefix}/`;
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: listed, Delimiter: '/', MaxKeys: this.#listPageSize, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) names.push(object.Key!.slice(listed.length));
        // "Directories" (common prefixes), as a directory listing shows subdirectories.
        for (const common of page.CommonPrefixes ?? []) names.push(common.Prefix!.slice(listed.length).replace(/\/$/, ''));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw storageError(`cannot list ${s3Uri({ Bucket: this.bucket, Key: listed })}`, error);
    }
    return names.filter((name) => name !== '' && !name.startsWith('.')).map((name) => (directory ? `${directory}/${name}` : name));
  }

  /** DuckDB cannot read s3:// without httpfs: data files are copied to the local read-through cache first. */
  async queryPaths(uris: readonly string[]): Promise<string[]> {
    const remote = uris.filter((uri) => uri.startsWith('s3://'));
    const local = new Map<string, string>();
    if (remote.length > 0) {
      const paths = await this.#cache.localPaths(remote);
      remote.forEach((uri, i) => local.set(uri, paths[i]!));
    }
    return uris.map((uri) => local.get(uri) ?? (uri.startsWith('file:') ? fileURLToPath(uri) : uri));
  }

  async checkWritable(): Promise<void> {
    const probe = `.write-check-${randomUUID()}`;
    try {
      await this.#client.send(new PutObjectCommand({ ...this.#object(probe), Body: new Uint8Array(), ContentLength: 0 }));
      await this.#client.send(new DeleteObjectCommand(this.#object(probe)));
    } catch (error) {
      const code = errorCode(error);
      throw new LakeError('config', `the lake bucket ${this.bucket} is not writable (${code}): ${messageOf(error)}`, {
        cause: error,
        hint: writableHint(code),
      });
    }
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }

  /** Bucket and key of a lake path, or of a full `s3://` URI (e.g. a metadata location from the catalog). */
  #object(path: string): { Bucket: string; Key: string } {
    const absolute = splitS3Uri(path);
    if (absolute) return { Bucket: absolute.bucket, Key: absolute.key };
    return { Bucket: this.bucket, Key: this.#key(path) };
  }

  #key(path: string): string {
    const relative = trimSlashes(path);
    if (!this.#prefix) return relative;
    return relative ? `${this.#prefix}/${relative}` : this.#prefix;
  }

  async #exists(target: { Bucket: string; Key: string }): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand(target));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      // S3 answers 403 instead of 404 for a missing key unless the caller may list it, and an s3:ListBucket grant
      // limited by an s3:prefix condition (as in terraform/iam.tf) may not count. The HEAD is only a pre-check:
      // the conditional PUT after it decides, and fails with AccessDenied itself if writing is not allowed.
      if (httpStatus(error) === 403) return false;
      throw error;
    }
  }

  /**
   * Parts of `partSize`, a few in flight at once; the object appears only at
   * CompleteMultipartUpload. Any failure aborts the upload, so no parts are
   * left behind to be billed (a crash still can: a bucket lifecycle rule
   * "abort incomplete multipart uploads after N days" covers that).
   */
  async #writeMultipart(target: { Bucket: string; Key: string }, bytes: Uint8Array): Promise<void> {
    const { UploadId } = await this.#client.send(new CreateMultipartUploadCommand(target));
    try {
      const count = Math.ceil(bytes.byteLength / this.#partSize);
      const parts: Array<{ ETag: string; PartNumber: number }> = new Array(count);
      await inFlight([...parts.keys()], PARTS_IN_FLIGHT, async (index) => {
        const body = bytes.subarray(index * this.#partSize, Math.min((index + 1) * this.#partSize, bytes.byteLength));
        const part = await this.#client.send(new UploadPartCommand({ ...target, UploadId, PartNumber: index + 1, Body: body, ContentLength: body.byteLength }));
        parts[index] = { ETag: part.ETag!, PartNumber: index + 1 };
      });
      await this.#client.send(new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      await this.#client.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  /**
   * A GET with its body read. The SDK retries a request until its response
   * headers arrive; a connection lost while the body streams fails after
   * that, so the whole GET is retried here, a few times with backoff.
   */
  async #get(input: GetObjectCommandInput): Promise<{ response: GetObjectCommandOutput; body: Buffer }> {
    for (let attempt = 1; ; attempt++) {
      const response = await this.#client.send(new GetObjectCommand(input));
      try {
        return { response, body: Buffer.from(await response.Body!.transformToByteArray()) };
      } catch (error) {
        if (attempt >= BODY_READ_ATTEMPTS) throw error;
        await delay(BODY_READ_RETRY_MS * 2 ** (attempt - 1));
      }
    }
  }

  /** One ranged GET's bytes. A store that ignores Range answers 200 with the whole object; the range is cut out here. */
  async #getRange(target: { Bucket: string; Key: string }, offset: number, length: number): Promise<Buffer> {
    const { response, body } = await this.#get({ ...target, Range: `bytes=${offset}-${offset + length - 1}` });
    return response.ContentRange === undefined ? body.subarray(offset, offset + length) : body;
  }

  /**
   * Fetches one object into a local file in ranges of `rangeSize`, a few in
   * flight at once: a large data file downloads over several connections, and
   * a failed range is retried alone. Every range after the first is asked
   * for with If-Match on the first one's ETag, so a file is never stitched
   * together from two versions of an object. The file is checked for the
   * object's length and fsynced (the cache renames it into place after).
   */
  async #download(uri: string, path: string): Promise<void> {
    const target = this.#object(uri);
    try {
      const handle = await open(path, 'wx');
      try {
        const first = await this.#fetchRangeInto(handle, target, 0, this.#rangeSize);
        const offsets: number[] = [];
        for (let offset = first.written; offset < first.size; offset += this.#rangeSize) offsets.push(offset);
        await inFlight(offsets, RANGES_IN_FLIGHT, async (offset) => {
          const length = Math.min(this.#rangeSize, first.size - offset);
          const range = await this.#fetchRangeInto(handle, target, offset, length, first.etag);
          if (range.written !== length) throw new Error(`bytes ${offset}..${offset + length}: received ${range.written}`);
        });
        const { size } = await handle.stat();
        if (size !== first.size) throw new Error(`received ${size} of ${first.size} bytes`);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw storageError(`cannot fetch ${s3Uri(target)} into the lake cache`, error);
    }
  }

  /**
   * One range of an object written into `handle` at its offset as the body
   * streams in, so a download holds a chunk, not a range, in memory. A body
   * cut short is fetched again and overwrites the same bytes. Returns the
   * object's size, its ETag and the bytes written; a store that ignores
   * Range sends the whole object, which then lands at offset 0.
   */
  async #fetchRangeInto(
    handle: FileHandle,
    target: { Bucket: string; Key: string },
    offset: number,
    length: number,
    ifMatch?: string,
  ): Promise<{ size: number; etag: string | undefined; written: number }> {
    for (let attempt = 1; ; attempt++) {
      let response: GetObjectCommandOutput;
      try {
        response = await this.#client.send(new GetObjectCommand({ ...target, Range: `bytes=${offset}-${offset + length - 1}`, IfMatch: ifMatch }));
      } catch (error) {
        // 416: nothing at or past the end; every range of an empty object.
        if (httpStatus(error) === 416) return { size: 0, etag: undefined, written: 0 };
        throw error;
      }
      const size = /\/(\d+)$/.exec(response.ContentRange ?? '')?.[1];
      let position = size === undefined ? 0 : offset;
      try {
        for await (const chunk of response.Body as AsyncIterable<Uint8Array>) {
          await handle.write(chunk, 0, chunk.length, position);
          position += chunk.length;
        }
      } catch (error) {
        if (attempt >= BODY_READ_ATTEMPTS) throw error;
        await delay(BODY_READ_RETRY_MS * 2 ** (attempt - 1));
        continue;
      }
      const written = position - (size === undefined ? 0 : offset);
      return { size: size === undefined ? written : Number(size), etag: response.ETag, written };
    }
  }
}

/**
 * Runs `work` on every item, at most `limit` at once. After a failure no new
 * item starts, and it rejects only once the running ones have settled, so the
 * caller's cleanup (closing a file, aborting an upload) never races them.
 */
async function inFlight<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected) throw rejected.reason;
}

function clientConfig(options: S3StorageOptions): S3ClientConfig {
  // The SDK warns on stderr, once per process, that releases after January 2027 need Node 22. The version
  // here is pinned by package-lock and supports Node 20 (engines: >=20.6); moving to a newer SDK is a
  // deliberate upgrade, so the warning is noise on every command. An operator's explicit setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config: S3ClientConfig = {
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    // Without these, a stalled connection would hang a commit forever instead of failing and being retried.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  };
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  // On AWS, a bucket in another region than AWS_REGION answers 301; follow it instead of failing every request.
  else config.followRegionRedirects = true;
  // The SDK reads AWS_MAX_ATTEMPTS / AWS_RETRY_MODE itself; only our defaults differ from its 3 standard attempts.
  if (!process.env.AWS_MAX_ATTEMPTS) config.maxAttempts = 8;
  if (!process.env.AWS_RETRY_MODE) config.retryMode = 'adaptive';
  return config;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

function s3Uri(target: { Bucket: string; Key: string }): string {
  return `s3://${target.Bucket}/${target.Key}`;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** The S3 error code (`NoSuchBucket`, `AccessDenied`, ...) or the SDK's error name; never a credential. */
function errorCode(error: unknown): string {
  const named = error as { Code?: string; name?: string; message?: string };
  // The SDK throws a plain Error when no region is configured anywhere.
  if (named.message === 'Region is missing') return 'RegionMissing';
  return named.Code ?? named.name ?? 'Error';
}

function isNotFound(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'NoSuchKey' || code === 'NotFound' || (httpStatus(error) === 404 && code !== 'NoSuchBucket');
}

const PERMANENT = new Set(['RegionMissing', 'AccessDenied', 'NoSuchBucket', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidBucketName', 'CredentialsProviderError']);

/** Storage failures are retryable (the stream restarts from the slot) unless the cause is configuration. */
function storageError(message: string, cause: unknown): LakeError {
  const code = errorCode(cause);
  const retryable = !PERMANENT.has(code);
  // A permanent cause is configuration (credentials, bucket, region): exit 2 with the fix.
  return new LakeError(retryable ? 'storage' : 'config', `${message}: ${code}: ${messageOf(cause)}`, {
    cause,
    retryable,
    hint: retryable ? 'the object store failed after retries; check its health and the network' : writableHint(code),
  });
}

function writableHint(code: string): string {
  switch (code) {
    case 'NoSuchBucket':
      return 'create the bucket, or fix the bucket name in LAKE (--lake)';
    case 'AccessDenied':
      return 'grant s3:PutObject, s3:GetObject, s3:DeleteObject and s3:ListBucket on the bucket to these credentials';
    case 'RegionMissing':
      return 'set AWS_REGION to the bucket\'s region (any region, e.g. us-east-1, for MinIO or another S3_ENDPOINT)';
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'CredentialsProviderError':
      return 'check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role)';
    default:
      return 'check LAKE, S3_ENDPOINT, AWS_REGION and the network path to the object store';
  }
}
