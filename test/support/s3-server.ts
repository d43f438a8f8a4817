import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { readdirSync, statSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Storage } from '../../src/storage/s3-storage.ts';
import { parseS3Location } from '../../src/storage/s3-location.ts';

const require = createRequire(import.meta.url);
const S3rver = loadS3rverWithFixes();

/** s3rver's fixed credentials; it checks signatures against them. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A bucket that exists. */
  bucket: string;
  /** A client for the server, for tests that look at objects directly. */
  client: S3Client;
  /** A fresh `s3://bucket/<prefix>` per call, so tests sharing the server do not see each other's objects. */
  lakeUri(name?: string): string;
  /** Environment for CLI runs against the server (endpoint, credentials, region). */
  env: Record<string, string>;
  /** A cache directory of its own, removed by stop(). */
  cacheDir: string;
  /** S3 lake storage under a fresh prefix, on the shared client (no credentials needed in the environment). */
  storage(name?: string): S3Storage;
  stop(): Promise<void>;
}

/**
 * A real S3-protocol HTTP server (s3rver) on a free port, storing into a
 * temporary directory, with one bucket created. Stop it in afterAll.
 */
export async function startS3Server(bucket = 'lake'): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'invoice-lake-s3rver-'));
  const cacheDir = await mkdtemp(join(tmpdir(), 'invoice-lake-s3cache-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const lakeUri = (name = 'lake') => `s3://${bucket}/${name}-${randomUUID().slice(0, 8)}`;
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
  return {
    endpoint,
    bucket,
    client,
    cacheDir,
    lakeUri,
    storage: (name) => new S3Storage({ location: parseS3Location(lakeUri(name)), endpoint, client, cache: { directory: cacheDir, maxBytes: 1 << 30 } }),
    env: {
      S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      LAKE_CACHE_DIR: cacheDir,
    },
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver 3.7.1 with two of its bugs fixed, so the tests exercise our S3 code
 * against the behaviour of real S3 (and MinIO) rather than the emulator's:
 *
 * - Its ListObjectsV2 continuation tokens are encrypted with DES, which
 *   OpenSSL 3 (Node 17 and later) no longer offers: every truncated listing
 *   answers 500. DES here is swapped for AES-128-CBC with the same 8-byte key
 *   and IV doubled; the tokens stay opaque and round-trip as before.
 * - Its listing walk skips directories "beneath a common prefix", so an
 *   object two levels below the listed prefix (`t/data/month=1/x.parquet`
 *   listed under `t/`) never yields its common prefix `t/data/`. The walk is
 *   replaced by a full one in S3 key order (the skip was only an optimisation).
 * - A ranged GET of an empty object answers 206 with `Content-Range: bytes
 *   0-0/0` and a length of 1, then sends nothing, so the client's connection
 *   is reset. S3 answers 416 InvalidRange (no byte of it exists); the store
 *   now reports such a range as unsatisfiable, which s3rver turns into 416.
 *
 * The patches apply to this test process only and only to what s3rver uses.
 */
function loadS3rverWithFixes(): new (options: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(): Promise<void> } {
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const widen = (bytes: Buffer) => Buffer.concat([bytes, bytes]);
  if (!(crypto as { s3rverDesPatched?: boolean }).s3rverDesPatched) {
    const createCipheriv = crypto.createCipheriv;
    const createDecipheriv = crypto.createDecipheriv;
    Object.assign(crypto, {
      s3rverDesPatched: true,
      createCipheriv: (algorithm: string, key: Buffer, iv: Buffer, options?: unknown) =>
        algorithm === 'des' ? createCipheriv('aes-128-cbc', widen(key), widen(iv)) : createCipheriv(algorithm, key, iv, options as never),
      createDecipheriv: (algorithm: string, key: Buffer, iv: Buffer, options?: unknown) =>
        algorithm === 'des' ? createDecipheriv('aes-128-cbc', widen(key), widen(iv)) : createDecipheriv(algorithm, key, iv, options as never),
    });
  }
  // Must be replaced before s3rver's filesystem store destructures it at load time.
  const utils = require('s3rver/lib/utils') as { walk: (dir: string) => Generator<string> };
  utils.walk = function* walk(dir: string): Generator<string> {
    const entries = readdirSync(dir).map((name) => ({ name, directory: statSync(`${dir}/${name}`).isDirectory() }));
    // Key order: a directory sorts as its name plus '/', as its keys do.
    const sortKey = (entry: { name: string; directory: boolean }) => (entry.directory ? `${entry.name}/` : entry.name);
    entries.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    for (const entry of entries) {
      if (entry.directory) yield* walk(`${dir}/${entry.name}`);
      else yield `${dir}/${entry.name}`;
    }
  };
  type StoredObject = { content: { destroy(): void } | null; range?: unknown; metadata: Record<string, string> };
  const store = require('s3rver/lib/stores/filesystem') as { prototype: { getObject(...args: unknown[]): Promise<StoredObject | null>; s3rverRangePatched?: boolean } };
  if (!store.prototype.s3rverRangePatched) {
    const getObject = store.prototype.getObject;
    store.prototype.s3rverRangePatched = true;
    store.prototype.getObject = async function getObjectOfEmpty(this: unknown, ...args: unknown[]) {
      const object = await getObject.apply(this, args);
      if (object?.range && object.content && Number(object.metadata['content-length']) === 0) {
        object.content.destroy();
        object.content = null;
      }
      return object;
    };
  }
  return require('s3rver');
}
