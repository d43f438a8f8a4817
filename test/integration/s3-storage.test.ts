import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LakeStorage } from '../../src/storage/lake-storage.ts';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import { S3Storage } from '../../src/storage/s3-storage.ts';
import { parseS3Location } from '../../src/storage/s3-location.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { LakeError } from '../../src/errors/lake-error.ts';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../support/s3-server.ts';

let s3: TestS3Server;
let localRoot: string;

beforeAll(async () => {
  s3 = await startS3Server();
  localRoot = await mkdtemp(join(tmpdir(), 'invoice-lake-storage-'));
});
afterAll(async () => {
  await s3?.stop();
  await rm(localRoot, { recursive: true, force: true });
});

/** A client for s3rver with the test credentials (the CLI gets them from the environment instead). */
function s3Client(): S3Client {
  return new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
}

/** A client that records the name of every command it sends, and may fail one on purpose. */
function recordingClient(inject?: (command: { input: Record<string, unknown> & { PartNumber?: number } }) => void): { client: S3Client; sent: string[] } {
  const client = s3Client();
  const sent: string[] = [];
  const send = client.send.bind(client);
  client.send = (async (command: { constructor: { name: string }; input: Record<string, unknown> & { PartNumber?: number } }) => {
    sent.push(command.constructor.name);
    inject?.(command);
    return send(command as never);
  }) as typeof client.send;
  return { client, sent };
}

function s3Storage(options: { listPageSize?: number; client?: S3Client } = {}): S3Storage {
  return new S3Storage({
    location: parseS3Location(s3.lakeUri('contract')),
    endpoint: s3.endpoint,
    cache: { directory: s3.cacheDir, maxBytes: 1 << 30 },
    client: options.client ?? s3Client(),
    ...options,
  });
}

let localCount = 0;
const BACKENDS: Array<[string, () => LakeStorage]> = [
  ['local disk', () => new LocalStorage(join(localRoot, `lake-${++localCount}`))],
  // A small list page, so pagination is exercised without writing 1000 objects.
  ['S3 (s3rver)', () => s3Storage({ listPageSize: 7 })],
];

describe.each(BACKENDS)('LakeStorage contract on %s', (_name, create) => {
  it('writes, reads and replaces an object; a missing one reads as undefined', async () => {
    const storage = create();
    await storage.write('t/metadata/a.json', Buffer.from('{"a":1}'));
    expect((await storage.read('t/metadata/a.json')).toString()).toBe('{"a":1}');
    await storage.write('t/metadata/a.json', Buffer.from('{"a":2}'));
    expect((await storage.readIfExists('t/metadata/a.json'))?.toString()).toBe('{"a":2}');
    expect(await storage.readIfExists('t/metadata/missing.json')).toBeUndefined();
    await expect(storage.read('t/metadata/missing.json')).rejects.toBeInstanceOf(LakeError);
  });

  it('creates exclusively: a second create of the same name is refused and leaves the first bytes', async () => {
    const storage = create();
    expect(await storage.createExclusive('t/metadata/00001-x.metadata.json', Buffer.from('first'))).toBe(true);
    expect(await storage.createExclusive('t/metadata/00001-x.metadata.json', Buffer.from('second'))).toBe(false);
    expect((await storage.read('t/metadata/00001-x.metadata.json')).toString()).toBe('first');
  });

  it('lists the objects and "directories" directly under a prefix, across pages, hiding dot files', async () => {
    const storage = create();
    const names = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, '0')}.avro`);
    await Promise.all(names.map((name) => storage.write(`t/metadata/${name}`, Buffer.from(name))));
    await storage.write('t/data/month=1/x.parquet', Buffer.from('x'));
    await storage.write('t/.hidden', Buffer.from('h'));
    await storage.write('u/metadata/version-hint.text', Buffer.from('1'));
    expect((await storage.list('t/metadata')).sort()).toEqual(names.map((name) => `t/metadata/${name}`));
    expect((await storage.list('t/metadata/')).length).toBe(23);
    expect((await storage.list('t')).sort()).toEqual(['t/data', 't/metadata']);
    expect((await storage.list('')).sort()).toEqual(['t', 'u']);
    expect(await storage.list('nothing/here')).toEqual([]);
  });

  it('deletes, and deleting a missing object is no error', async () => {
    const storage = create();
    await storage.write('t/x', Buffer.from('x'));
    await storage.delete('t/x');
    expect(await storage.readIfExists('t/x')).toBeUndefined();
    await expect(storage.delete('t/x')).resolves.toBeUndefined();
  });

  it('round-trips uri() and relativePath(), reads through a full URI, and refuses foreign URIs', async () => {
    const storage = create();
    const uri = storage.uri('t/data/month=673/00000-abc.parquet');
    expect(uri.startsWith(storage.root.startsWith('s3://') ? `${storage.root}/` : 'file:///')).toBe(true);
    expect(storage.relativePath(uri)).toBe('t/data/month=673/00000-abc.parquet');
    expect(storage.relativePath('s3://another-bucket/t/x.parquet')).toBeUndefined();
    expect(storage.relativePath('file:///elsewhere/x.parquet')).toBeUndefined();
    await storage.write('t/m.json', Buffer.from('m'));
    expect((await storage.read(storage.uri('t/m.json'))).toString()).toBe('m');
  });

  it('writes a 17 MiB object whole (multipart on S3)', async () => {
    const storage = create();
    const bytes = Buffer.alloc(17 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32LE(i, i);
    await storage.write('t/data/big.parquet', bytes);
    expect((await storage.read('t/data/big.parquet')).equals(bytes)).toBe(true);
  });

  it('reads byte ranges: inside, across and past the end, of an empty object, and refuses a missing one', async () => {
    const storage = create();
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    await storage.write('t/data/ranged.parquet', bytes);
    await storage.write('t/data/empty.parquet', new Uint8Array());
    expect((await storage.readRange('t/data/ranged.parquet', 0, 4)).equals(bytes.subarray(0, 4))).toBe(true);
    expect((await storage.readRange('t/data/ranged.parquet', 10, 20)).equals(bytes.subarray(10, 30))).toBe(true);
    expect((await storage.readRange(storage.uri('t/data/ranged.parquet'), 992, 8)).equals(bytes.subarray(992))).toBe(true);
    expect((await storage.readRange('t/data/ranged.parquet', 990, 50)).equals(bytes.subarray(990))).toBe(true);
    expect(await storage.readRange('t/data/ranged.parquet', 1000, 5)).toHaveLength(0);
    expect(await storage.readRange('t/data/ranged.parquet', 5000, 5)).toHaveLength(0);
    expect(await storage.readRange('t/data/empty.parquet', 0, 10)).toHaveLength(0);
    await expect(storage.readRange('t/data/missing.parquet', 0, 10)).rejects.toThrow(LakeError);
    await expect(storage.readRange('t/data/ranged.parquet', -1, 10)).rejects.toThrow(RangeError);
    await expect(storage.readRange('t/data/ranged.parquet', 0, 0)).rejects.toThrow(RangeError);
  });

  it('hands DuckDB readable local paths for data file URIs', async () => {
    const storage = create();
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const scratch = join(localRoot, `duck-${Math.random().toString(36).slice(2)}.parquet`);
      await connection.run(`COPY (SELECT range AS n FROM range(100)) TO '${scratch}' (FORMAT parquet)`);
      await storage.write('t/data/n.parquet', await readFile(scratch));
      const [path] = await storage.queryPaths([storage.uri('t/data/n.parquet')]);
      const reader = await connection.runAndReadAll(`SELECT sum(n)::INTEGER AS total FROM read_parquet('${path!.replace(/'/g, "''")}')`);
      expect(reader.getRowObjectsJson()).toEqual([{ total: 4950 }]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('checks that the root is writable', async () => {
    await expect(create().checkWritable()).resolves.toBeUndefined();
  });
});

describe('S3Storage specifics', () => {
  it('uploads a large object in parts and completes the upload only after every part', async () => {
    const { client, sent } = recordingClient();
    const storage = s3Storage({ client });
    const bytes = Buffer.alloc(17 * 1024 * 1024, 1);
    await storage.write('t/data/parts.parquet', bytes);
    // 17 MiB in 8 MiB parts: three parts, then the completion that makes the object appear.
    expect(sent.filter((name) => name === 'UploadPartCommand')).toHaveLength(3);
    expect(sent.at(-1)).toBe('CompleteMultipartUploadCommand');
    expect(sent).not.toContain('PutObjectCommand');
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: storage.root.slice(`s3://${s3.bucket}/`.length) + '/t/data/parts.parquet' }));
    expect(head.ContentLength).toBe(bytes.length);
    client.destroy();
  });

  it('aborts the multipart upload when a part fails, and the object never appears', async () => {
    const { client, sent } = recordingClient((command) => {
      if (command instanceof UploadPartCommand && command.input.PartNumber === 2) throw Object.assign(new Error('connection reset'), { name: 'NetworkError' });
    });
    const storage = s3Storage({ client });
    await expect(storage.write('t/data/failed.parquet', Buffer.alloc(17 * 1024 * 1024, 2))).rejects.toThrow(/cannot write .*failed\.parquet.*connection reset/);
    expect(sent).toContain('AbortMultipartUploadCommand');
    expect(sent).not.toContain('CompleteMultipartUploadCommand');
    expect(await storage.readIfExists('t/data/failed.parquet')).toBeUndefined();
    client.destroy();
  });

  it('creates exclusively when the HEAD pre-check is denied (403 for a missing key without list permission)', async () => {
    const { client, sent } = recordingClient((command) => {
      if (command instanceof HeadObjectCommand) throw Object.assign(new Error('Forbidden'), { name: '403', $metadata: { httpStatusCode: 403 } });
    });
    const storage = s3Storage({ client });
    expect(await storage.createExclusive('t/metadata/00001-a.metadata.json', Buffer.from('{}'))).toBe(true);
    expect(sent).toEqual(['HeadObjectCommand', 'PutObjectCommand']);
    expect((await storage.read('t/metadata/00001-a.metadata.json')).toString()).toBe('{}');
    client.destroy();
  });

  it('refuses an unwritable lake with a config error naming the bucket and the S3 error code, and no secret', async () => {
    const storage = new S3Storage({
      location: parseS3Location('s3://no-such-bucket/lake'),
      endpoint: s3.endpoint,
      cache: { maxBytes: 1 << 30 },
      client: s3Client(),
    });
    const error = (await storage.checkWritable().catch((caught: unknown) => caught)) as LakeError;
    expect(error).toBeInstanceOf(LakeError);
    expect(error.kind).toBe('config');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('no-such-bucket');
    expect(error.message).toContain('NoSuchBucket');
    expect(error.hint).toMatch(/create the bucket/);
    expect(`${error.message} ${error.hint}`).not.toContain(S3RVER_CREDENTIALS.secretAccessKey);
  });

  it('serves repeated queryPaths from the cache without fetching again', async () => {
    const { client, sent } = recordingClient();
    const gets = () => sent.filter((name) => name === 'GetObjectCommand').length;
    const storage = s3Storage({ client });
    await storage.write('t/data/a.parquet', Buffer.from('a'));
    await storage.write('t/data/b.parquet', Buffer.from('b'));
    const uris = [storage.uri('t/data/a.parquet'), storage.uri('t/data/b.parquet'), storage.uri('t/data/a.parquet')];
    const first = await storage.queryPaths(uris);
    expect(first[0]).toBe(first[2]);
    expect(gets()).toBe(2);
    expect(await storage.queryPaths(uris)).toEqual(first);
    expect(gets()).toBe(2);
    expect((await readFile(first[1]!)).toString()).toBe('b');
    client.destroy();
  });
});

describe('S3Storage downloads into the cache in ranges', () => {
  const MiB = 1024 * 1024;
  const object = Buffer.alloc(5 * MiB + 123);
  for (let i = 0; i + 4 <= object.length; i += 4) object.writeUInt32LE(i, i);

  function rangedStorage(inject?: (input: { Range?: string; IfMatch?: string }) => void) {
    const inputs: Array<{ Range?: string; IfMatch?: string }> = [];
    const { client } = recordingClient((command) => {
      if (command instanceof GetObjectCommand) {
        inputs.push({ ...command.input });
        inject?.(command.input);
      }
    });
    const storage = new S3Storage({
      location: parseS3Location(s3.lakeUri('ranged')),
      endpoint: s3.endpoint,
      cache: { directory: join(localRoot, `cache-${Math.random().toString(36).slice(2)}`), maxBytes: 1 << 30 },
      client,
      rangeSize: MiB,
    });
    return { storage, inputs, client };
  }

  it('fetches a file in whole ranges, the later ones only if the ETag still matches, into an identical local file', async () => {
    const { storage, inputs, client } = rangedStorage();
    await storage.write('t/data/large.parquet', object);
    const [path] = await storage.queryPaths([storage.uri('t/data/large.parquet')]);
    expect((await readFile(path!)).equals(object)).toBe(true);
    // 5 MiB + 123 bytes in 1 MiB ranges: six GETs, each for its own range.
    expect(inputs.map((input) => input.Range).sort()).toEqual(
      Array.from({ length: 6 }, (_, i) => `bytes=${i * MiB}-${Math.min((i + 1) * MiB, object.length) - 1}`).sort(),
    );
    const etag = (await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: storage.root.slice(`s3://${s3.bucket}/`.length) + '/t/data/large.parquet' }))).ETag;
    expect(inputs[0]!.IfMatch).toBeUndefined();
    expect(inputs.slice(1).map((input) => input.IfMatch)).toEqual(Array(5).fill(etag));
    client.destroy();
  });

  it('fetches an empty object as an empty file', async () => {
    const { storage, client } = rangedStorage();
    await storage.write('t/data/empty.parquet', new Uint8Array());
    const [path] = await storage.queryPaths([storage.uri('t/data/empty.parquet')]);
    expect(await readFile(path!)).toHaveLength(0);
    client.destroy();
  });

  it('leaves no cache entry when a range fails, and fetches the file whole on the next request', async () => {
    let failRange = true;
    const { storage, client } = rangedStorage((input) => {
      if (failRange && input.Range === `bytes=${3 * MiB}-${4 * MiB - 1}`) {
        failRange = false;
        throw Object.assign(new Error('connection reset'), { name: 'NetworkError' });
      }
    });
    await storage.write('t/data/flaky.parquet', object);
    const uri = storage.uri('t/data/flaky.parquet');
    await expect(storage.queryPaths([uri])).rejects.toThrow(/cannot fetch .*flaky\.parquet into the lake cache.*connection reset/);
    const [path] = await storage.queryPaths([uri]);
    expect((await readFile(path!)).equals(object)).toBe(true);
    client.destroy();
  });
});

describe('openLake chooses the storage by LAKE', () => {
  const settings = { catalog: 'filesystem' as const, catalogUrl: undefined, catalogName: 'x', catalogSchema: 'x', namespace: 'lake' };

  it('opens s3://bucket/prefix as S3 storage, and directories and file:// as local', async () => {
    const onS3 = await openLake({ ...settings, lake: 's3://my-lake/warehouse/prod/', s3: { endpoint: s3.endpoint } });
    expect(onS3.storage).toBeInstanceOf(S3Storage);
    expect(onS3.storage.root).toBe('s3://my-lake/warehouse/prod');
    expect(onS3.storage.uri('invoices/metadata/v1.metadata.json')).toBe('s3://my-lake/warehouse/prod/invoices/metadata/v1.metadata.json');
    await onS3.close();
    const bucketOnly = await openLake({ ...settings, lake: 's3://my-lake' });
    expect(bucketOnly.storage.uri('invoices')).toBe('s3://my-lake/invoices');
    await bucketOnly.close();
    expect((await openLake({ ...settings, lake: localRoot })).storage).toBeInstanceOf(LocalStorage);
    expect((await openLake({ ...settings, lake: `file://${localRoot}` })).storage.root).toBe(localRoot);
  });

  it.each([
    ['gs://bucket/lake', /LAKE gs:\/\/bucket\/lake: the gs:\/\/ scheme is not supported/],
    ['s3a://bucket/lake', /the s3a:\/\/ scheme is not supported/],
    ['s3://', /LAKE s3:\/\/: "" is not a valid S3 bucket name/],
    ['s3://Upper_Case/lake', /is not a valid S3 bucket name/],
    ['s3://bucket/a/../b', /may not contain \. or \.\. segments/],
    ['s3://key:secret@bucket/lake', /credentials do not belong in LAKE/],
    ['s3://bucket/lake?versionId=1', /without a query string/],
  ])('refuses LAKE=%s with a config error naming LAKE', async (lake, message) => {
    let error: unknown;
    try {
      await openLake({ ...settings, lake });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).kind).toBe('config');
    expect((error as LakeError).message).toMatch(message);
    expect((error as LakeError).message).not.toContain('secret');
  });
});
