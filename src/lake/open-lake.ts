import type { Catalog } from '../catalog/catalog.ts';
import { JdbcCatalog } from '../catalog/jdbc-catalog.ts';
import { FilesystemCatalog } from '../catalog/filesystem-catalog.ts';
import type { LakeStorage } from '../storage/lake-storage.ts';
import { LocalStorage } from '../storage/local-storage.ts';
import { parseS3Location } from '../storage/s3-location.ts';
import { LakeTable } from './lake-table.ts';
import { STREAM_TABLES } from './tables/lake-tables.ts';
import { LakeError } from '../errors/lake-error.ts';
import { redactUrl } from '../config/redact.ts';

export interface LakeSettings {
  lake: string;
  catalog: 'jdbc' | 'filesystem';
  catalogUrl: string | undefined;
  catalogName: string;
  catalogSchema: string;
  namespace: string;
  /** For an s3:// lake: endpoint override (MinIO, s3rver, ...) and addressing style. */
  s3?: { endpoint?: string | undefined; forcePathStyle?: boolean | undefined };
  /** For an object-storage lake: the local read-through cache DuckDB reads data files from. */
  cache?: { directory?: string | undefined; maxBytes?: number | undefined };
}

const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 * 1024 * 1024;

/** The lake as one object: storage, catalog and the stream's tables. */
export interface Lake {
  storage: LakeStorage;
  catalog: Catalog;
  namespace: string;
  streamTables: LakeTable[];
  table(name: string): LakeTable;
  close(): Promise<void>;
}

export async function openLake(settings: LakeSettings): Promise<Lake> {
  const storage = await openStorage(settings);
  let catalog: Catalog;
  if (settings.catalog === 'filesystem') {
    catalog = new FilesystemCatalog(storage);
  } else {
    if (!settings.catalogUrl) {
      throw new LakeError('config', 'the jdbc catalog needs a database: CATALOG_URL and DATABASE_URL are both unset', {
        hint: 'set CATALOG_URL (--catalog-url) or DATABASE_URL, or use CATALOG=filesystem',
      });
    }
    catalog = new JdbcCatalog({ connectionString: settings.catalogUrl, catalogName: settings.catalogName, schema: settings.catalogSchema });
  }
  const streamTables = STREAM_TABLES.map((definition) => new LakeTable({ storage, catalog }, { namespace: settings.namespace, definition }));
  return {
    storage,
    catalog,
    namespace: settings.namespace,
    streamTables,
    table(name) {
      const table = streamTables.find((candidate) => candidate.definition.name === name);
      if (!table) throw new Error(`unknown lake table ${name}`);
      return table;
    },
    async close() {
      try {
        await catalog.close();
      } finally {
        await storage.close?.();
      }
    },
  };
}

/**
 * Local directory, file:///path or s3://bucket/prefix; any other scheme is refused by name.
 * The AWS SDK is imported only for an S3 lake: it adds about 0.2 s to every command's start.
 */
async function openStorage(settings: LakeSettings): Promise<LakeStorage> {
  const lake = settings.lake;
  if (/^s3:\/\//i.test(lake)) {
    const location = parseS3Location(lake);
    const { S3Storage } = await import('../storage/s3-storage.ts');
    return new S3Storage({
      location,
      endpoint: settings.s3?.endpoint,
      forcePathStyle: settings.s3?.forcePathStyle,
      cache: { directory: settings.cache?.directory, maxBytes: settings.cache?.maxBytes ?? DEFAULT_CACHE_MAX_BYTES },
    });
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(lake)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== 'file') {
    throw new LakeError('config', `LAKE ${redactUrl(lake)}: the ${scheme}:// scheme is not supported`, {
      hint: scheme.toLowerCase() === 's3a' ? 'write s3://bucket/prefix instead of s3a://' : 'set LAKE (--lake) to a directory path, file:///path or s3://bucket/prefix',
    });
  }
  return new LocalStorage(lake.replace(/^file:\/\//i, ''));
}
