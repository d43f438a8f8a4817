import type pg from 'pg';
import type { SlotRetention, WalStatus } from './wal-retention.ts';

/**
 * The slot's WAL retention as the source reports it; undefined when the slot
 * does not exist. Needs no privilege: pg_replication_slots, pg_settings and
 * pg_current_wal_lsn() are readable by every role. Run on the primary
 * (pg_current_wal_lsn() fails during recovery).
 */
export async function readSlotRetention(client: pg.ClientBase, slotName: string): Promise<SlotRetention | undefined> {
  const row = (
    await client.query<{ wal_status: WalStatus | null; retained_bytes: string | null; max_keep_bytes: string }>(
      // pg_size_bytes: the setting reads '-1' or with a unit ('50GB'); -1 means no limit.
      `SELECT wal_status,
              (pg_current_wal_lsn() - restart_lsn)::text AS retained_bytes,
              pg_size_bytes(current_setting('max_slot_wal_keep_size'))::text AS max_keep_bytes
         FROM pg_replication_slots WHERE slot_name = $1`,
      [slotName],
    )
  ).rows[0];
  if (!row) return undefined;
  const maxKeepBytes = BigInt(row.max_keep_bytes);
  return {
    slotName,
    walStatus: row.wal_status,
    retainedBytes: row.retained_bytes === null ? null : BigInt(row.retained_bytes),
    maxSlotWalKeepSizeBytes: maxKeepBytes < 0n ? null : maxKeepBytes,
  };
}
