/**
 * How much WAL a logical replication slot holds back on the source, and what
 * to tell the operator about it. Pure: slot-retention.ts reads the numbers.
 *
 * A slot keeps every WAL segment from its restart_lsn on until the consumer
 * confirms it. With max_slot_wal_keep_size = -1 (PostgreSQL's default) there
 * is no cap: an invoice-lake that is stopped, or retired without dropping its
 * slot, lets WAL grow until the source's disk is full. With a cap, PostgreSQL
 * invalidates the slot instead (wal_status 'lost') and the lake can no longer
 * continue from where it stopped.
 * https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-SLOT-WAL-KEEP-SIZE
 * https://www.postgresql.org/docs/current/view-pg-replication-slots.html
 */

/** pg_replication_slots.wal_status (PostgreSQL 13+). */
export type WalStatus = 'reserved' | 'extended' | 'unreserved' | 'lost';

export interface SlotRetention {
  slotName: string;
  /** null when the server reports none (no restart_lsn yet). */
  walStatus: WalStatus | null;
  /** pg_current_wal_lsn() - restart_lsn: WAL kept on the source for this slot; null without a restart_lsn (a lost slot). */
  retainedBytes: bigint | null;
  /** max_slot_wal_keep_size in bytes; null for -1, no limit. */
  maxSlotWalKeepSizeBytes: bigint | null;
}

export interface RetentionNote {
  /** 'error': the slot cannot be streamed from any more. 'warning': it can, but the source is at risk. */
  level: 'warning' | 'error';
  problem: string;
  fix: string;
}

/** What is wrong with the slot's WAL retention, most serious first; empty when nothing is. */
export function retentionNotes(retention: SlotRetention): RetentionNote[] {
  const slot = retention.slotName;
  if (retention.walStatus === 'lost') {
    return [
      {
        level: 'error',
        problem: `replication slot ${slot} is lost (wal_status lost): the source removed WAL the slot had not streamed yet, so the lake cannot continue from where it stopped`,
        fix: `drop the slot and re-run setup: SELECT pg_drop_replication_slot('${slot}'); then invoice-lake setup. The lake then misses the changes made since its last commit`,
      },
    ];
  }
  const notes: RetentionNote[] = [];
  if (retention.walStatus === 'unreserved') {
    notes.push({
      level: 'warning',
      problem: `replication slot ${slot} holds more WAL than max_slot_wal_keep_size (wal_status unreserved): the next checkpoint may remove WAL it still needs, and the slot is then lost`,
      fix: 'start `invoice-lake run` now so it catches up, or raise max_slot_wal_keep_size',
    });
  }
  if (retention.maxSlotWalKeepSizeBytes === null) {
    notes.push({
      level: 'warning',
      problem: `replication slot ${slot} can retain unbounded WAL (max_slot_wal_keep_size = -1): while invoice-lake is stopped, or after it is retired without dropping the slot, the source keeps all WAL until its disk is full`,
      fix: `cap it with ALTER SYSTEM SET max_slot_wal_keep_size = '50GB'; SELECT pg_reload_conf(); (RDS/Aurora: in the parameter group), sized for the longest outage the lake must survive (past it the slot is lost and must be re-created); watch \`invoice-lake status\`; when retiring invoice-lake run SELECT pg_drop_replication_slot('${slot}');`,
    });
  }
  return notes;
}

/** One line on the slot's WAL: "retains 16.0 MB of WAL (16777216 bytes), wal_status reserved, max_slot_wal_keep_size unlimited". */
export function describeRetention(retention: SlotRetention): string {
  const retained = retention.retainedBytes === null ? 'retains no WAL it can still use' : `retains ${formatBytes(retention.retainedBytes)} of WAL (${retention.retainedBytes} bytes)`;
  const limit = retention.maxSlotWalKeepSizeBytes === null ? 'unlimited' : formatBytes(retention.maxSlotWalKeepSizeBytes);
  return `${retained}, wal_status ${retention.walStatus ?? 'unknown'}, max_slot_wal_keep_size ${limit}`;
}

/** A note as printed: `warning: …` / `error: …`, then an indented `fix: …`. */
export function formatRetentionNote(note: RetentionNote): string {
  return `${note.level}: ${note.problem}\n  fix: ${note.fix}`;
}

const UNITS = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/** Bytes in PostgreSQL's binary units (1 kB = 1024 bytes, as pg_size_pretty), one decimal. */
export function formatBytes(bytes: bigint): string {
  if (bytes < 1024n) return `${bytes} bytes`;
  let unit = 0;
  let value = Number(bytes);
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}
