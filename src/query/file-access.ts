import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeError, messageOf } from '../errors/lake-error.ts';
import { readThroughCacheDirectories } from '../storage/read-through-cache.ts';
import type { LakeStorage } from '../storage/lake-storage.ts';
import type { DataFileReader } from './duckdb-s3-access.ts';
import type { SourceDefinition } from './sources/source-config.ts';
import { quoteLiteral } from './sql-quoting.ts';

/** What a sandboxed DuckDB session may open: whole directories and single files (local paths or URLs). */
export interface FileAccess {
  directories: string[];
  paths: string[];
}

const URL_PATH = /^[a-z][a-z0-9+.-]*:\/\//i;
const GLOB = /[*?[{]/;

/**
 * The files a query session needs and nothing more: the lake (its root and
 * each table's location, which a catalog may put elsewhere), the
 * read-through cache DuckDB reads an object-storage lake from, each
 * configured source, and `extraDirectories` (a job's scratch directory for
 * its result). DuckDB adds its own temp directory (spills) by itself.
 */
export function sessionFileAccess(
  lake: { storage: LakeStorage; files: DataFileReader; tableLocations: readonly string[] },
  sources: readonly SourceDefinition[],
  extraDirectories: readonly string[] = [],
): FileAccess {
  const directories = new Set<string>(extraDirectories.map((directory) => resolve(directory)));
  const paths = new Set<string>();
  if (lake.files.via === 'read-through cache') {
    for (const directory of readThroughCacheDirectories()) directories.add(directory);
  } else {
    // Local disk, or s3:// URIs read by httpfs: the lake root and the table locations themselves.
    for (const location of [lake.storage.root, ...lake.tableLocations]) directories.add(localOrUrl(location));
  }
  for (const source of sources) {
    const path = URL_PATH.test(source.path) || isAbsolute(source.path) ? source.path : resolve(source.path);
    if (source.kind === 'iceberg') directories.add(localOrUrl(path));
    else if (GLOB.test(path)) directories.add(globDirectory(path));
    else paths.add(path);
  }
  return { directories: [...directories].filter((directory) => directory !== ''), paths: [...paths] };
}

/**
 * Limits DuckDB to `access` and locks its configuration, so no later
 * statement (SET, RESET, PRAGMA) can lift the limit or raise the memory
 * limit. Views created before keep working only when their files are
 * allowed: DuckDB checks each file when a statement opens it.
 */
export async function restrictFileAccess(connection: DuckDBConnection, access: FileAccess): Promise<void> {
  const list = (values: readonly string[]) => `[${values.map(quoteLiteral).join(', ')}]`;
  // A directory entry ends with a slash, so /srv/lake does not also allow /srv/lake-old.
  await connection.run(`SET allowed_directories = ${list(access.directories.map((directory) => directory.replace(/\/*$/, '/')))}`);
  await connection.run(`SET allowed_paths = ${list(access.paths)}`);
  await connection.run('SET enable_external_access = false');
  // Extensions the session did not load already stay out (no download, no autoload).
  await connection.run('SET autoinstall_known_extensions = false');
  await connection.run('SET autoload_known_extensions = false');
  await connection.run('SET lock_configuration = true');
}

/**
 * DuckDB's refusal to open a file outside the allowed ones, as a usage error
 * (exit 2) naming the file; undefined for any other error.
 */
export function fileAccessError(error: unknown): LakeError | undefined {
  const match = /Permission Error: Cannot access (?:file|directory) "([^"]*)" - file system operations are disabled by configuration/.exec(messageOf(error));
  if (!match) return undefined;
  return new LakeError('config', `cannot read ${match[1]}: a query reads only the lake, its read-through cache and the configured sources`, {
    cause: error,
    hint: 'make the file a source (the sources file or --source NAME=KIND:PATH) to read it in queries and jobs; `invoice-lake query --allow-writes` lifts every restriction for one query',
  });
}

/** A `file:` URI as its path; other URIs (s3://) as written. */
function localOrUrl(location: string): string {
  return location.startsWith('file:') ? fileURLToPath(location) : location;
}

/** The directory a glob searches: everything before the segment holding its first wildcard. */
function globDirectory(path: string): string {
  const wildcard = path.search(GLOB);
  return dirname(`${path.slice(0, wildcard)}x`);
}
