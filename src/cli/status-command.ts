import type { Settings } from '../config/settings.ts';
import { requireSetting } from '../config/load-config.ts';
import { connectPostgres } from '../source/source-connection.ts';
import { currentWalLsn, readSlot } from '../source/slot-admin.ts';
import { formatLsn } from '../source/lsn.ts';
import { openLake } from '../lake/open-lake.ts';
import { currentSnapshot } from '../lake/lake-table.ts';
import { SOURCE_COMMIT_TIME_KEY, SOURCE_LSN_KEY } from '../pipeline/lake-writer.ts';
import { lakeSettings } from './lake-settings.ts';
import { readSlotRetention } from '../source/slot-retention.ts';
import { describeRetention, formatRetentionNote, retentionNotes, type RetentionNote, type WalStatus } from '../source/wal-retention.ts';
import { LakeError } from '../errors/lake-error.ts';

export interface StatusReport {
  slot: {
    name: string;
    active: boolean;
    confirmedLsn: string;
    lagBytes: string;
    lagSeconds: number | null;
    /** pg_replication_slots.wal_status: reserved, extended, unreserved or lost. */
    walStatus: WalStatus | null;
    /** WAL the slot keeps on the source (pg_current_wal_lsn() - restart_lsn); null once lost. */
    retainedBytes: string | null;
    /** max_slot_wal_keep_size in bytes; null for -1, no limit. */
    maxSlotWalKeepSizeBytes: string | null;
  } | null;
  /** Warnings and errors about the slot's WAL retention, each with its fix. */
  notes: RetentionNote[];
  tables: Array<{ table: string; location: string; rows: string; lastCommitAt: string | null; sourceLsn: string | null; sourceCommitTime: string | null }>;
}

/** `invoice-lake status`: how far behind the lake is, and what it holds. */
export async function statusReport(settings: Settings): Promise<StatusReport> {
  const databaseUrl = requireSetting(settings, 'databaseUrl');
  const slotName = requireSetting(settings, 'slotName');
  const lake = await openLake(lakeSettings(settings));
  try {
    const tables: StatusReport['tables'] = [];
    for (const table of lake.streamTables) {
      const { metadata, metadataLocation } = await table.load();
      const snapshot = currentSnapshot(metadata);
      tables.push({
        table: table.definition.name,
        location: metadataLocation,
        rows: snapshot?.summary['total-records'] ?? '0',
        lastCommitAt: snapshot ? new Date(snapshot.timestampMs).toISOString() : null,
        sourceLsn: snapshot?.summary[SOURCE_LSN_KEY] ?? null,
        sourceCommitTime: snapshot?.summary[SOURCE_COMMIT_TIME_KEY] ?? null,
      });
    }
    const client = await connectPostgres(databaseUrl, 'source');
    try {
      const slot = await readSlot(client, slotName);
      const wal = await currentWalLsn(client);
      const retention = await readSlotRetention(client, slotName);
      if (!slot || !retention) return { slot: null, notes: [], tables };
      const lagBytes = wal > slot.confirmedFlushLsn ? wal - slot.confirmedFlushLsn : 0n;
      const newestSourceCommit = tables.map((t) => t.sourceCommitTime).filter((t): t is string => t !== null).sort().at(-1);
      // Seconds behind: age of the newest source commit the lake holds, when WAL is still waiting.
      const lagSeconds = lagBytes === 0n ? 0 : newestSourceCommit ? Math.max(0, (Date.now() - Date.parse(newestSourceCommit.replace(' ', 'T').replace(/\+00$/, 'Z'))) / 1000) : null;
      return {
        slot: {
          name: slotName,
          active: slot.active,
          confirmedLsn: formatLsn(slot.confirmedFlushLsn),
          lagBytes: lagBytes.toString(),
          lagSeconds,
          walStatus: retention.walStatus,
          retainedBytes: retention.retainedBytes?.toString() ?? null,
          maxSlotWalKeepSizeBytes: retention.maxSlotWalKeepSizeBytes?.toString() ?? null,
        },
        notes: retentionNotes(retention),
        tables,
      };
    } finally {
      await client.end();
    }
  } finally {
    await lake.close();
  }
}

export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  if (report.slot) {
    const s = report.slot;
    lines.push(`slot ${s.name}: ${s.active ? 'streaming' : 'idle'}, confirmed ${s.confirmedLsn}, lag ${s.lagBytes} bytes${s.lagSeconds === null ? '' : ` (~${s.lagSeconds.toFixed(1)} s)`}`);
    lines.push(
      `  ${describeRetention({
        slotName: s.name,
        walStatus: s.walStatus,
        retainedBytes: s.retainedBytes === null ? null : BigInt(s.retainedBytes),
        maxSlotWalKeepSizeBytes: s.maxSlotWalKeepSizeBytes === null ? null : BigInt(s.maxSlotWalKeepSizeBytes),
      })}`,
    );
  } else {
    lines.push('slot: missing (run `invoice-lake setup`)');
  }
  for (const note of report.notes) lines.push(formatRetentionNote(note));
  for (const t of report.tables) {
    lines.push(`${t.table}: ${t.rows} rows, last commit ${t.lastCommitAt ?? 'never'}, source LSN ${t.sourceLsn ?? '-'}, ${t.location}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * `invoice-lake status [--json]` end to end: prints the whole report, then
 * fails (exit 2) when the slot cannot be streamed from any more, so scripts
 * and monitors see a lost slot in the exit code as well as in the text.
 */
export async function statusCommand(settings: Settings, options: { json: boolean }, write: (text: string) => void): Promise<StatusReport> {
  const report = await statusReport(settings);
  write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
  const error = report.notes.find((note) => note.level === 'error');
  if (error) throw new LakeError('source-setup', error.problem, { hint: error.fix });
  return report;
}
