import type { Catalog } from '../catalog/catalog.ts';
import { JdbcCatalog } from '../catalog/jdbc-catalog.ts';
import { FilesystemCatalog } from '../catalog/filesystem-catalog.ts';
import type { LakeStorage } from '../storage/lake-storage.ts';
import { LocalStorage } from '../storage/local-storage.ts';
import { LakeTable } from './lake-table.ts';
import { STREAM_TABLES } from './tables/lake-tables.ts';
import { LakeError } from '../errors/lake-error.ts';

export interface LakeSettings {
  lake: string;
  catalog: 'jdbc' | 'filesystem';
  catalogUrl: string | undefined;
  catalogName: string;
  catalogSchema: string;
  namespace: string;
}

/** The lake as one object: storage, catalog and the stream's tables. */
export interface Lake {
  storage: LakeStorage;
  catalog: Catalog;
  namespace: string;
  streamTables: LakeTable[];
  table(name: string): LakeTable;
  close(): Promise<void>;
}

export function openLake(settings: LakeSettings): Lake {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(settings.lake) && !settings.lake.startsWith('file://')) {
    throw new LakeError('config', `LAKE ${settings.lake}: only local directories are supported so far`, {
      hint: 'set LAKE (--lake) to a directory path',
    });
  }
  const storage = new LocalStorage(settings.lake.replace(/^file:\/\//, ''));
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
    close: () => catalog.close(),
  };
}
