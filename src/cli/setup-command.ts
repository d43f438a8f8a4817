import type pg from 'pg';
import type { Settings } from '../config/settings.ts';
import { requireSetting } from '../config/load-config.ts';
import { connectPostgres } from '../source/source-connection.ts';
import { checkSource, sourceNotReady, type Problem } from '../source/source-preflight.ts';
import { ensurePublicationAndSlot } from '../source/slot-admin.ts';
import { readSlotRetention } from '../source/slot-retention.ts';
import { describeRetention, formatRetentionNote, retentionNotes } from '../source/wal-retention.ts';
import { openLake } from '../lake/open-lake.ts';
import { lakeSettings } from './lake-settings.ts';
import { preflightCatalog } from './catalog-preflight.ts';

/**
 * `invoice-lake setup`: checks the source and the catalog database first
 * (every problem reported at once, nothing changed), then creates what is
 * missing. Safe to re-run, also as a role without superuser.
 *
 * Printing is a report, not part of the work: a line that cannot be printed
 * (`setup | head -2`, a closed terminal) never stops setup halfway between
 * the slot and the catalog.
 */
export async function setupCommand(settings: Settings, print: (line: string) => void): Promise<void> {
  const say = (line: string): void => {
    try {
      print(line);
    } catch {
      // See above: the output is best effort, the setup is not.
    }
  };
  const databaseUrl = requireSetting(settings, 'databaseUrl');
  const sourceTable = requireSetting(settings, 'sourceTable');
  const publicationName = requireSetting(settings, 'publicationName');
  const slotName = requireSetting(settings, 'slotName');
  const lakeConfig = lakeSettings(settings);
  const lake = await openLake(lakeConfig);
  try {
    await lake.storage.checkWritable();
    const client = await connectPostgres(databaseUrl, 'source');
    try {
      const problems: Problem[] = [
        ...(await checkSource(client, { sourceTable, publicationName })),
        ...(await lostSlotProblems(client, slotName)),
        ...(await preflightCatalog(lakeConfig, { client, url: databaseUrl })),
      ];
      if (problems.length > 0) throw sourceNotReady(problems);
      const created = await ensurePublicationAndSlot(client, { sourceTable, publicationName, slotName });
      say(`publication ${publicationName}: ${created.createdPublication ? 'created' : 'exists'}`);
      say(`replication slot ${slotName} (pgoutput): ${created.createdSlot ? 'created' : 'exists'}`);
      const retention = await readSlotRetention(client, slotName);
      if (retention) {
        say(`  ${describeRetention(retention)}`);
        for (const note of retentionNotes(retention)) say(formatRetentionNote(note));
      }
    } finally {
      await client.end();
    }
    await lake.catalog.initialize(lake.namespace);
    say(`catalog: ${lake.catalog.description}`);
    for (const table of lake.streamTables) {
      const createdTable = await table.ensureCreated();
      say(`lake table ${lake.namespace}.${table.definition.name}: ${createdTable ? 'created' : 'exists'} at ${lake.storage.uri(table.definition.name)}`);
    }
  } finally {
    await lake.close();
  }
}

/** An existing slot that is lost cannot be reused: setup says so instead of reporting it as "exists". */
async function lostSlotProblems(client: pg.ClientBase, slotName: string): Promise<Problem[]> {
  const retention = await readSlotRetention(client, slotName);
  if (!retention) return [];
  return retentionNotes(retention)
    .filter((note) => note.level === 'error')
    .map(({ problem, fix }) => ({ problem, fix }));
}
