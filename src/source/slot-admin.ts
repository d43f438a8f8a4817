import type pg from 'pg';
import { parseLsn, type Lsn } from './lsn.ts';
import { LakeError } from '../errors/lake-error.ts';

export interface SlotInfo {
  plugin: string;
  database: string;
  active: boolean;
  confirmedFlushLsn: Lsn;
}

export async function readSlot(client: pg.ClientBase, slotName: string): Promise<SlotInfo | undefined> {
  const row = (
    await client.query<{ plugin: string; database: string; active: boolean; confirmed_flush_lsn: string | null }>(
      `SELECT plugin, database, active, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1`,
      [slotName],
    )
  ).rows[0];
  if (!row) return undefined;
  return { plugin: row.plugin, database: row.database, active: row.active, confirmedFlushLsn: parseLsn(row.confirmed_flush_lsn ?? '0/0') };
}

/** Creates the publication and then the slot (in that order, so the slot decodes with it). Idempotent. */
export async function ensurePublicationAndSlot(
  client: pg.ClientBase,
  options: { sourceTable: string; publicationName: string; slotName: string },
): Promise<{ createdPublication: boolean; createdSlot: boolean }> {
  const publication = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [options.publicationName]);
  let createdPublication = false;
  if (publication.rowCount === 0) {
    const [schema, table] = options.sourceTable.split('.');
    await client.query(`CREATE PUBLICATION "${options.publicationName}" FOR TABLE "${schema}"."${table}"`);
    createdPublication = true;
  }
  const slot = await readSlot(client, options.slotName);
  const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
  if (slot) {
    if (slot.plugin !== 'pgoutput' || slot.database !== database) {
      throw new LakeError('source-setup', `replication slot ${options.slotName} exists for plugin ${slot.plugin} in database ${slot.database}`, {
        hint: `choose another SLOT_NAME, or drop it with SELECT pg_drop_replication_slot('${options.slotName}');`,
      });
    }
    return { createdPublication, createdSlot: false };
  }
  try {
    await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [options.slotName]);
  } catch (error) {
    throw new LakeError('source-setup', `cannot create replication slot ${options.slotName}: ${(error as Error).message}`, {
      cause: error,
      hint: 'raise max_replication_slots or drop an unused slot (SELECT slot_name FROM pg_replication_slots)',
    });
  }
  return { createdPublication, createdSlot: true };
}

/** The WAL position now; `run --once` drains up to it. */
export async function currentWalLsn(client: pg.ClientBase): Promise<Lsn> {
  const row = (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!;
  return parseLsn(row.lsn);
}
