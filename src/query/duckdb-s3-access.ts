import type { DuckDBConnection } from '@duckdb/node-api';
import type { LakeStorage, S3ReadAccess } from '../storage/lake-storage.ts';
import { quoteLiteral as literal } from './sql-quoting.ts';

/** How a query session turns data file URIs into paths DuckDB reads. */
export interface DataFileReader {
  queryPaths(uris: readonly string[]): Promise<string[]>;
  /** true when the paths are local copies fetched on demand (sessions then fetch lazily). */
  readonly remote: boolean;
  /** Which way DuckDB reads the lake, for `--verbose`-style reports. */
  readonly via: 'local disk' | 'httpfs' | 'read-through cache';
}

/**
 * On object storage, DuckDB reads the data files over S3 itself when its
 * httpfs extension can be loaded (the container image installs it), with a
 * session-scoped secret from the SDK's resolved credentials; otherwise
 * (offline machines, where extensions cannot be installed) through the
 * storage's bounded local read-through cache.
 */
export async function dataFileReader(connection: DuckDBConnection, storage: LakeStorage): Promise<DataFileReader> {
  if (!storage.remote) return { queryPaths: (uris) => storage.queryPaths(uris), remote: false, via: 'local disk' };
  const cached: DataFileReader = { queryPaths: (uris) => storage.queryPaths(uris), remote: true, via: 'read-through cache' };
  if (!storage.s3ReadAccess || !(await loadExtension(connection, 'httpfs'))) return cached;
  try {
    await connection.run(s3SecretSql(await storage.s3ReadAccess()));
  } catch {
    // No credentials DuckDB can use (or a secret it refuses): the cache path still works with the SDK's own.
    return cached;
  }
  return { queryPaths: async (uris) => [...uris], remote: false, via: 'httpfs' };
}

async function loadExtension(connection: DuckDBConnection, name: string): Promise<boolean> {
  try {
    await connection.run(`LOAD ${name}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * A TEMPORARY (session-only, never persisted) DuckDB S3 secret. Values are
 * SQL string literals; the statement holds credentials, so it is never logged.
 */
export function s3SecretSql(access: S3ReadAccess): string {
  const options: Array<[string, string]> = [
    ['TYPE', 's3'],
    ['KEY_ID', literal(access.accessKeyId)],
    ['SECRET', literal(access.secretAccessKey)],
    ['REGION', literal(access.region)],
  ];
  if (access.sessionToken) options.push(['SESSION_TOKEN', literal(access.sessionToken)]);
  if (access.endpoint !== undefined) {
    const endpoint = new URL(access.endpoint);
    options.push(['ENDPOINT', literal(endpoint.host)], ['USE_SSL', endpoint.protocol === 'https:' ? 'true' : 'false']);
  }
  options.push(['URL_STYLE', literal(access.pathStyle ? 'path' : 'vhost')]);
  return `CREATE OR REPLACE TEMPORARY SECRET invoice_lake_s3 (${options.map(([key, value]) => `${key} ${value}`).join(', ')})`;
}
