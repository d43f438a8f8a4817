import type { Settings } from '../config/settings.ts';
import { requireSetting } from '../config/load-config.ts';
import { connectPostgres } from '../source/source-connection.ts';
import { checkSource, sourceNotReady } from '../source/source-preflight.ts';
import { ensurePublicationAndSlot } from '../source/slot-admin.ts';
import { openLake } from '../lake/open-lake.ts';
import { lakeSettings } from './lake-settings.ts';

/**
 * `invoice-lake setup`: checks the source first (every problem reported at
 * once, nothing changed), then creates what is missing. Safe to re-run.
 */
export async function setupCommand(settings: Settings, print: (line: string) => void): Promise<void> {
  const databaseUrl = requireSetting(settings, 'databaseUrl');
  const sourceTable = requireSetting(settings, 'sourceTable');
  const publicationName = requireSetting(settings, 'publicationName');
  const slotName = requireSetting(settings, 'slotName');
  const lake = await openLake(lakeSettings(settings));
  try {
    await lake.storage.checkWritable();
    const client = await connectPostgres(databaseUrl, 'source');
    try {
      const problems = await checkSource(client, { sourceTable, publicationName });
      if (problems.length > 0) throw sourceNotReady(problems);
      const created = await ensurePublicationAndSlot(client, { sourceTable, publicationName, slotName });
      print(`publication ${publicationName}: ${created.createdPublication ? 'created' : 'exists'}`);
      print(`replication slot ${slotName} (pgoutput): ${created.createdSlot ? 'created' : 'exists'}`);
    } finally {
      await client.end();
    }
    await lake.catalog.initialize(lake.namespace);
    print(`catalog: ${lake.catalog.description}`);
    for (const table of lake.streamTables) {
      const createdTable = await table.ensureCreated();
      print(`lake table ${lake.namespace}.${table.definition.name}: ${createdTable ? 'created' : 'exists'} at ${lake.storage.uri(table.definition.name)}`);
    }
  } finally {
    await lake.close();
  }
}
