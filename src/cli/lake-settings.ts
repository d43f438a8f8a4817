import type { Settings } from '../config/settings.ts';
import type { LakeSettings } from '../lake/open-lake.ts';

/** The lake part of the settings; the catalog defaults to the source database. */
export function lakeSettings(settings: Settings): LakeSettings {
  return {
    lake: settings.lake ?? './lake',
    catalog: settings.catalog ?? 'jdbc',
    catalogUrl: settings.catalogUrl ?? settings.databaseUrl,
    catalogName: settings.catalogName ?? 'invoice_lake',
    catalogSchema: settings.catalogSchema ?? 'invoice_lake_catalog',
    namespace: settings.namespace ?? 'lake',
    s3: { endpoint: settings.s3Endpoint, forcePathStyle: settings.s3ForcePathStyle },
    cache: { directory: settings.lakeCacheDir, maxBytes: settings.lakeCacheMaxBytes },
  };
}
