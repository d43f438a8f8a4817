import { icebergSchemaOf } from '../tables/table-definition.ts';
import { partitionRows, type ColumnBatch } from './column-batch.ts';
import { toArrowTable } from './arrow-batch.ts';
import { encodeParquet } from './parquet-file.ts';
import { columnStats, type ColumnStats } from './column-stats.ts';

/** One Parquet file's bytes and the metrics its manifest entry needs. */
export interface EncodedPartition {
  /** Month partition value, null for a null partition source; 0 for an unpartitioned table. */
  month: number | null;
  bytes: Uint8Array;
  recordCount: number;
  stats: ColumnStats;
}

/**
 * The CPU-heavy half of writing data files: Arrow conversion, Parquet
 * encoding and exact column metrics, one file per partition. Pure, so it
 * runs the same on the stream's thread or in the encoder worker.
 */
export function encodeBatch(batch: ColumnBatch): EncodedPartition[] {
  const schemaJson = JSON.stringify(icebergSchemaOf(batch.table));
  const encoded: EncodedPartition[] = [];
  for (const [month, rows] of partitionRows(batch)) {
    encoded.push({ month, bytes: encodeParquet(toArrowTable(batch, rows), schemaJson), recordCount: rows.length, stats: columnStats(batch, rows) });
  }
  return encoded;
}
