import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { dataFileReader, s3SecretSql } from '../../../src/query/duckdb-s3-access.ts';
import type { LakeStorage, S3ReadAccess } from '../../../src/storage/lake-storage.ts';

const ACCESS: S3ReadAccess = { region: 'eu-west-1', accessKeyId: 'AKIA123', secretAccessKey: "se'cret", pathStyle: false };

describe('DuckDB access to an S3 lake', () => {
  it('builds a temporary secret for AWS with virtual-host addressing and a session token', () => {
    expect(s3SecretSql({ ...ACCESS, sessionToken: 'tok' })).toBe(
      "CREATE OR REPLACE TEMPORARY SECRET invoice_lake_s3 (TYPE s3, KEY_ID 'AKIA123', SECRET 'se''cret', REGION 'eu-west-1', SESSION_TOKEN 'tok', URL_STYLE 'vhost')",
    );
  });

  it('points the secret at an S3-compatible endpoint: host and port, TLS from the scheme, path style', () => {
    expect(s3SecretSql({ ...ACCESS, endpoint: 'http://minio:9000', pathStyle: true })).toContain("ENDPOINT 'minio:9000', USE_SSL false, URL_STYLE 'path'");
    expect(s3SecretSql({ ...ACCESS, endpoint: 'https://s3.example.com', pathStyle: true })).toContain("ENDPOINT 's3.example.com', USE_SSL true");
  });

  it('reads local lakes from disk, and object storage over httpfs when it loads, else through the cache', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const local = await dataFileReader(connection, { remote: false, queryPaths: async (uris: readonly string[]) => uris.map((uri) => `/disk/${uri}`) } as unknown as LakeStorage);
      expect(local.via).toBe('local disk');
      expect(await local.queryPaths(['a'])).toEqual(['/disk/a']);

      const httpfsLoads = await connection.run('LOAD httpfs').then(
        () => true,
        () => false,
      );
      const remoteStorage = { remote: true, queryPaths: async (uris: readonly string[]) => uris.map((uri) => `/cache/${uri}`), s3ReadAccess: async () => ACCESS };
      const remote = await dataFileReader(connection, remoteStorage as unknown as LakeStorage);
      if (httpfsLoads) {
        // DuckDB reads the s3:// URIs itself with the session's secret.
        expect(remote).toMatchObject({ via: 'httpfs', remote: false });
        expect(await remote.queryPaths(['s3://b/k.parquet'])).toEqual(['s3://b/k.parquet']);
      } else {
        // Offline (as on the CI machine): httpfs cannot be installed, the cache serves DuckDB.
        expect(remote).toMatchObject({ via: 'read-through cache', remote: true });
        expect(await remote.queryPaths(['s3://b/k.parquet'])).toEqual(['/cache/s3://b/k.parquet']);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
