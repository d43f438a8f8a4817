import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { S3Storage, type S3StorageOptions } from '../../src/storage/s3-storage.ts';
import { parseS3Location } from '../../src/storage/s3-location.ts';
import { LakeError } from '../../src/errors/lake-error.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { startFaultyS3Proxy, type FaultyS3Proxy, type RecordedRequest } from '../support/faulty-s3-proxy.ts';
import { startTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { runCli } from '../support/cli.ts';
import { lakeEnv, onS3, openEnvLake, queryLake, SOURCE_DDL } from '../support/lake-env.ts';
import { snapshotFiles } from '../../src/query/snapshot-files.ts';

const MiB = 1024 * 1024;

let s3: TestS3Server;
let proxy: FaultyS3Proxy;
let savedEnv: NodeJS.ProcessEnv;
const storages: S3Storage[] = [];

beforeAll(async () => {
  s3 = await startS3Server();
  proxy = await startFaultyS3Proxy(s3.endpoint);
  savedEnv = { ...process.env };
  // No client is passed to S3Storage, so the production client configuration (retries, timeouts) is what is
  // tested; it finds s3rver's credentials and region where the CLI's would, in the environment.
  Object.assign(process.env, s3.env);
  delete process.env.AWS_MAX_ATTEMPTS;
  delete process.env.AWS_RETRY_MODE;
});
afterEach(async () => {
  await Promise.all(storages.splice(0).map((storage) => storage.close()));
  proxy.reset();
});
afterAll(async () => {
  process.env = savedEnv;
  await proxy?.stop();
  await s3?.stop();
});

/** S3 lake storage under a fresh prefix, reached through the proxy, with the client production builds. */
function storageViaProxy(options: Partial<S3StorageOptions> = {}): S3Storage {
  const storage = new S3Storage({
    location: parseS3Location(s3.lakeUri('retries')),
    endpoint: proxy.endpoint,
    cache: { directory: s3.cacheDir, maxBytes: 1 << 30 },
    ...options,
  });
  storages.push(storage);
  return storage;
}

/** The object key of a lake path, as the proxy records it. */
function keyOf(storage: S3Storage, path: string): string {
  return storage.uri(path).slice(`s3://${s3.bucket}/`.length);
}

const summary = (requests: RecordedRequest[]) => requests.map(({ method, status, fault }) => `${method} ${status ?? '-'}${fault ? ` ${fault}` : ''}`);

/** Bytes that differ at every offset, so a part stored twice, out of order or cut short does not compare equal. */
function patterned(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) bytes.writeUInt32LE((Math.imul(i, 2654435761) + seed) >>> 0, i);
  return bytes;
}

const partNumber = (request: RecordedRequest) => request.query.get('partNumber');

describe('S3Storage retries through a faulty proxy', () => {
  it('writes an object after three SlowDown answers to its PUT', async () => {
    const storage = storageViaProxy();
    const key = keyOf(storage, 't/metadata/snap-1.avro');
    proxy.failNext(3, 'slowDown', { method: 'PUT', key });
    const bytes = patterned(64 * 1024, 1);
    await storage.write('t/metadata/snap-1.avro', bytes);
    const puts = proxy.requests.filter((request) => request.method === 'PUT' && request.key === key);
    expect(summary(puts)).toEqual(['PUT 503 slowDown', 'PUT 503 slowDown', 'PUT 503 slowDown', 'PUT 200']);
    expect((await storage.read('t/metadata/snap-1.avro')).equals(bytes)).toBe(true);
  });

  it('reads an object after two InternalError answers to its GET', async () => {
    const storage = storageViaProxy();
    const bytes = patterned(300 * 1024, 2);
    await storage.write('t/data/a.parquet', bytes);
    const key = keyOf(storage, 't/data/a.parquet');
    proxy.failNext(2, 'internalError', { method: 'GET', key });
    expect((await storage.read('t/data/a.parquet')).equals(bytes)).toBe(true);
    const gets = proxy.requests.filter((request) => request.method === 'GET' && request.key === key);
    expect(summary(gets)).toEqual(['GET 500 internalError', 'GET 500 internalError', 'GET 200']);
  });

  it('reads an object and fetches it into the cache again when the connection drops halfway through its body', async () => {
    const storage = storageViaProxy({ rangeSize: 256 * 1024 });
    const bytes = patterned(300 * 1024, 7);
    await storage.write('t/data/cut.parquet', bytes);
    const key = keyOf(storage, 't/data/cut.parquet');
    const gets = () => summary(proxy.requests.filter((request) => request.method === 'GET' && request.key === key));
    proxy.failNext(1, 'resetResponse', { method: 'GET', key });
    expect((await storage.read('t/data/cut.parquet')).equals(bytes)).toBe(true);
    expect(gets()).toEqual(['GET 200 resetResponse', 'GET 200']);

    // Into the read-through cache, in two ranges: the second range's body is cut once.
    proxy.reset();
    proxy.failNext(1, 'resetResponse', (request) => request.method === 'GET' && request.key === key && request.range === `bytes=${256 * 1024}-${300 * 1024 - 1}`);
    const [path] = await storage.queryPaths([storage.uri('t/data/cut.parquet')]);
    expect((await readFile(path!)).equals(bytes)).toBe(true);
    expect(gets()).toEqual(['GET 206', 'GET 206 resetResponse', 'GET 206']);
  });

  it('lists across pages when a page is answered 503 SlowDown once, asking for that same page again', async () => {

    const storage = storageViaProxy({ listPageSize: 2 });
    const names = Array.from({ length: 7 }, (_, i) => `t/metadata/m${i}.avro`);
    for (const name of names) await storage.write(name, Buffer.from(name));
    // The second page: the first request carrying a continuation token.
    proxy.failNext(1, 'slowDown', { method: 'GET', query: ['list-type', 'continuation-token'] });
    expect((await storage.list('t/metadata')).sort()).toEqual(names);
    const pages = proxy.requests.filter((request) => request.method === 'GET' && request.query.get('list-type') === '2');
    expect(summary(pages)).toEqual(['GET 200', 'GET 503 slowDown', 'GET 200', 'GET 200', 'GET 200']);
    const tokens = pages.map((page) => page.query.get('continuation-token'));
    expect(tokens[0]).toBeNull();
    expect(tokens[1]).toBeTruthy();
    expect(tokens[2]).toBe(tokens[1]);
    expect(new Set(tokens.slice(2)).size).toBe(3);
  });

  it('completes a multipart upload byte-identical when one part is throttled twice and another loses its connection mid-body', async () => {
    const storage = storageViaProxy({ multipartThreshold: 6 * MiB, partSize: 5 * MiB });
    const key = keyOf(storage, 't/data/big.parquet');
    const part = (n: string) => (request: { method: string; key: string; query: URLSearchParams }) =>
      request.method === 'PUT' && request.key === key && request.query.get('partNumber') === n;
    proxy.failNext(2, 'slowDown', part('1'));
    proxy.failNext(1, 'resetRequest', part('2'));
    const bytes = patterned(11 * MiB, 3);
    await storage.write('t/data/big.parquet', bytes);

    const forKey = proxy.requests.filter((request) => request.key === key);
    const attempts = (n: string) => summary(forKey.filter((request) => partNumber(request) === n));
    // 11 MiB in 5 MiB parts: 5 + 5 + 1.
    expect(attempts('1')).toEqual(['PUT 503 slowDown', 'PUT 503 slowDown', 'PUT 200']);
    expect(attempts('2')).toEqual(['PUT - resetRequest', 'PUT 200']);
    expect(attempts('3')).toEqual(['PUT 200']);
    expect(summary(forKey.filter((request) => request.query.has('uploads')))).toEqual(['POST 200']);
    // Completed once, after every part, and never aborted.
    const completions = forKey.filter((request) => request.method === 'POST' && request.query.has('uploadId'));
    expect(summary(completions)).toEqual(['POST 200']);
    expect(forKey.indexOf(completions[0]!)).toBe(forKey.length - 1);
    expect(forKey.some((request) => request.method === 'DELETE')).toBe(false);

    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(head.ContentLength).toBe(bytes.length);
    expect((await storage.read('t/data/big.parquet')).equals(bytes)).toBe(true);
  });
});

describe('S3Storage when the store keeps failing', () => {
  /** The object as s3rver has it, asked directly rather than through the proxy. */
  const existsOnServer = (key: string) =>
    s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })).then(
      () => true,
      (error: { name?: string }) => (error.name === 'NotFound' ? false : Promise.reject(error)),
    );

  async function writeError(storage: S3Storage, path: string, bytes: Uint8Array): Promise<LakeError> {
    const error = await storage.write(path, bytes).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LakeError);
    return error as LakeError;
  }

  it('gives up after the 8 attempts of the production configuration, with a retryable error naming the object and the S3 error', async () => {
    const storage = storageViaProxy();
    const key = keyOf(storage, 't/metadata/00001-x.metadata.json');
    proxy.failNext(Number.MAX_SAFE_INTEGER, 'serviceUnavailable', { method: 'PUT', key });
    const error = await writeError(storage, 't/metadata/00001-x.metadata.json', Buffer.from('{"format-version":2}'));

    const puts = proxy.requests.filter((request) => request.method === 'PUT' && request.key === key);
    expect(summary(puts)).toEqual(Array(8).fill('PUT 503 serviceUnavailable'));
    expect(error.kind).toBe('storage');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`cannot write s3://${s3.bucket}/${key}: ServiceUnavailable: Service is unable to handle request.`);
    expect((error.cause as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(8);
    expect(await existsOnServer(key)).toBe(false);
  });

  it('gives up on throttling after AWS_MAX_ATTEMPTS attempts when the environment sets it', async () => {
    // SlowDown backs off from a 1 s base: 8 throttled attempts would wait about half a minute, so 3 here.
    process.env.AWS_MAX_ATTEMPTS = '3';
    let error: LakeError;
    let key: string;
    try {
      const storage = storageViaProxy();
      key = keyOf(storage, 't/metadata/snap-2.avro');
      proxy.failNext(Number.MAX_SAFE_INTEGER, 'slowDown', { method: 'PUT', key });
      error = await writeError(storage, 't/metadata/snap-2.avro', patterned(4096, 4));
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
    const puts = proxy.requests.filter((request) => request.method === 'PUT' && request.key === key);
    expect(summary(puts)).toEqual(Array(3).fill('PUT 503 slowDown'));
    expect(error.message).toBe(`cannot write s3://${s3.bucket}/${key}: SlowDown: Please reduce your request rate.`);
    expect(error.retryable).toBe(true);
    expect(await existsOnServer(key)).toBe(false);
  });

  it('aborts a multipart upload whose part keeps failing, and the object never appears', async () => {
    const storage = storageViaProxy({ multipartThreshold: 6 * MiB, partSize: 5 * MiB });
    const key = keyOf(storage, 't/data/never.parquet');
    proxy.failNext(Number.MAX_SAFE_INTEGER, 'internalError', { method: 'PUT', key, query: ['uploadId', 'partNumber'] });
    const error = await writeError(storage, 't/data/never.parquet', patterned(7 * MiB, 5));

    expect(error.message).toBe(`cannot write s3://${s3.bucket}/${key}: InternalError: We encountered an internal error. Please try again.`);
    const forKey = proxy.requests.filter((request) => request.key === key);
    const parts = forKey.filter((request) => request.query.has('partNumber'));
    // Both parts are in flight together; each is tried 8 times and none succeeds.
    expect(parts.filter((request) => partNumber(request) === '1')).toHaveLength(8);
    expect(parts.filter((request) => partNumber(request) === '2')).toHaveLength(8);
    expect(parts.every((request) => request.status === 500)).toBe(true);
    expect(forKey.some((request) => request.method === 'POST' && request.query.has('uploadId'))).toBe(false);
    // Aborted once; s3rver does not implement AbortMultipartUpload (it answers 405), so only the attempt is checked.
    const aborts = forKey.filter((request) => request.method === 'DELETE');
    expect(aborts).toHaveLength(1);
    expect(aborts[0]!.query.has('uploadId')).toBe(true);
    expect(await existsOnServer(key)).toBe(false);
  });
});

describe('run --once into an S3 lake whose store fails every 5th request', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await startTestDatabase();
    await db.query(SOURCE_DDL);
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('drains the source into a lake equal to it, every committed file whole', async () => {
    // The CLI builds its own client from S3_ENDPOINT, so pointing that at the proxy puts every request it makes
    // (setup, the drain, the query) behind the faults.
    const env: Record<string, string> = { ...onS3(await lakeEnv(db), s3), S3_ENDPOINT: proxy.endpoint };
    // A counter rather than chance: the same requests fail on every run, throttling and server errors in turn.
    proxy.failEvery(5, ['slowDown', 'internalError']);

    const setup = await runCli(['setup'], env);
    expect(setup.stderr).toBe('');
    expect(setup.code).toBe(0);
    // After setup: the slot streams what is committed after it was created.
    for (let batch = 0; batch < 6; batch++) {
      await db.query(
        `INSERT INTO invoices (invoice_id, issue_date, issuer_id, receiver_id, amount)
         SELECT g, timestamptz '2025-11-03 08:00:00+00' + g * interval '9 hours 41 minutes 0.000013 seconds', g % 31, g % 29, (g * 7919 % 100000) / 100.0 - 250
           FROM generate_series($1::bigint, $2::bigint) g`,
        [batch * 50 + 1, batch * 50 + 50],
      );
    }
    const drained = await runCli(['run', '--once'], env);
    expect(drained.stderr).toBe('');
    expect(drained.code).toBe(0);

    type Row = { invoice_id: string; micros: string; issuer_id: string; receiver_id: string; amount: string };
    const source = await db.query<Row>(
      `SELECT invoice_id::text, (extract(epoch FROM issue_date) * 1000000)::bigint::text AS micros,
              issuer_id::text, receiver_id::text, amount::text FROM invoices ORDER BY invoice_id`,
    );
    const lake = await queryLake<Row>(
      env,
      `SELECT invoice_id::VARCHAR AS invoice_id, epoch_us(issue_date)::VARCHAR AS micros, issuer_id::VARCHAR AS issuer_id,
              receiver_id::VARCHAR AS receiver_id, amount::VARCHAR AS amount FROM invoices ORDER BY invoice_id`,
    );
    expect(source).toHaveLength(300);
    expect(lake).toEqual(source);

    const faulted = proxy.requests.filter((request) => request.fault !== undefined);
    expect(faulted.length).toBe(Math.floor(proxy.requests.length / 5));
    // Writes and reads both went through the faults and were retried.
    expect(faulted.some((request) => request.method === 'PUT')).toBe(true);
    expect(faulted.some((request) => request.method === 'GET')).toBe(true);

    // Every data file the committed snapshot references is on the server whole, asked directly, not through the proxy.
    const opened = await openEnvLake(env, db, s3.endpoint);
    try {
      const location = await opened.catalog.currentMetadataLocation({ namespace: 'lake', name: 'invoices' });
      const { dataFiles } = await snapshotFiles(opened.storage, location!);
      expect(dataFiles.reduce((rows, file) => rows + file.recordCount, 0n)).toBe(300n);
      for (const file of dataFiles) {
        const key = file.filePath.slice(`s3://${s3.bucket}/`.length);
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
        expect(BigInt(head.ContentLength!)).toBe(file.fileSizeInBytes);
      }
    } finally {
      await opened.close();
    }
  });
});
