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
 *
 * A session whose file access will be restricted (`restricted`, see
 * file-access.ts) uses httpfs only when DuckDB takes the lake's s3:// root
 * as an allowed directory as written; otherwise the cache, whose local
 * directory can be allowed.
 */
export async function dataFileReader(connection: DuckDBConnection, storage: LakeStorage, options: { restricted?: boolean } = {}): Promise<DataFileReader> {
  if (!storage.remote) return { queryPaths: (uris) => storage.queryPaths(uris), remote: false, via: 'local disk' };
  const cached: DataFileReader = { queryPaths: (uris) => storage.queryPaths(uris), remote: true, via: 'read-through cache' };
  if (!storage.s3ReadAccess || !(await loadExtension(connection, 'httpfs'))) return cached;
  if (options.restricted && !(await allowsRemoteDirectory(connection, `${storage.root}/`))) return cached;
  try {
    await connection.run(s3SecretSql(await storage.s3ReadAccess()));
  } catch {
    // No credentials DuckDB can use (or a secret it refuses): the cache path still works with the SDK's own.
    return cached;
  }
  return { queryPaths: async (uris) => [...uris], remote: false, via: 'httpfs' };
}

/**
 * Whether DuckDB keeps `url` in allowed_directories as written. Without a
 * file system that claims the scheme it takes the URL for a relative local
 * path (`s3://b/p/` becomes `<cwd>/s3:/b/p/`), which would then refuse
 * every data file. The list is emptied again; the session sets its own.
 */
async function allowsRemoteDirectory(connection: DuckDBConnection, url: string): Promise<boolean> {
  try {
    await connection.run(`SET allowed_directories = [${literal(url)}]`);
    const reader = await connection.runAndReadAll("SELECT current_setting('allowed_directories')::VARCHAR[]");
    const kept = reader.getRowsJson()[0]?.[0];
    return Array.isArray(kept) && kept.includes(url);
  } catch {
    return false;
  } finally {
    await connection.run('SET allowed_directories = []').catch(() => undefined);
  }
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
