import type { Settings } from '../config/settings.ts';
import { requireSetting } from '../config/load-config.ts';
import { connectPostgres } from '../source/source-connection.ts';
import { currentWalLsn, readSlot } from '../source/slot-admin.ts';
import { formatLsn } from '../source/lsn.ts';
import { openLake } from '../lake/open-lake.ts';
import { currentSnapshot } from '../lake/lake-table.ts';
import { SOURCE_COMMIT_TIME_KEY, SOURCE_LSN_KEY } from '../pipeline/lake-writer.ts';
import { lakeSettings } from './lake-settings.ts';

export interface StatusReport {
  slot: { name: string; active: boolean; confirmedLsn: string; lagBytes: string; lagSeconds: number | null } | null;
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
      if (!slot) return { slot: null, tables };
      const lagBytes = wal > slot.confirmedFlushLsn ? wal - slot.confirmedFlushLsn : 0n;
      const newestSourceCommit = tables.map((t) => t.sourceCommitTime).filter((t): t is string => t !== null).sort().at(-1);
      // Seconds behind: age of the newest source commit the lake holds, when WAL is still waiting.
      const lagSeconds = lagBytes === 0n ? 0 : newestSourceCommit ? Math.max(0, (Date.now() - Date.parse(newestSourceCommit.replace(' ', 'T').replace(/\+00$/, 'Z'))) / 1000) : null;
      return {
        slot: { name: slotName, active: slot.active, confirmedLsn: formatLsn(slot.confirmedFlushLsn), lagBytes: lagBytes.toString(), lagSeconds },
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
  } else {
    lines.push('slot: missing (run `invoice-lake setup`)');
  }
  for (const t of report.tables) {
    lines.push(`${t.table}: ${t.rows} rows, last commit ${t.lastCommitAt ?? 'never'}, source LSN ${t.sourceLsn ?? '-'}, ${t.location}`);
  }
  return lines.join('\n') + '\n';
}
