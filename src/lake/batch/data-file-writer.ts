import type { DataFile } from '../iceberg/spec-types.ts';
import { monthLabel } from '../iceberg/transforms.ts';
import type { LakeTable } from '../lake-table.ts';
import type { TableDefinition } from '../tables/table-definition.ts';
import type { ColumnBatch } from './column-batch.ts';
import type { ColumnBuffer } from './column-buffer.ts';
import { inlineEncoder, type BatchEncoder } from './parquet-encoder.ts';

/**
 * Writes rows as Parquet data files, one per partition, and describes each
 * as an Iceberg DataFile (partition tuple, exact size, counts and column
 * bounds). The files are not part of the table until committed.
 */
export async function writeDataFiles(table: LakeTable, rows: ColumnBuffer | ColumnBatch, encoder: BatchEncoder = inlineEncoder): Promise<DataFile[]> {
  const batch = 'take' in rows ? rows.take() : rows;
  if (batch.rowCount === 0) return [];
  const partitionColumn = table.definition.monthPartitionColumn;
  const files: DataFile[] = [];
  for (const encoded of await encoder.encode(batch)) {
    const filePath = await table.writeDataFile(partitionDirectory(table.definition, encoded.month), encoded.bytes);
    files.push({
      content: 0,
      filePath,
      fileFormat: 'PARQUET',
      partition: partitionColumn ? [encoded.month] : [],
      recordCount: BigInt(encoded.recordCount),
      fileSizeInBytes: BigInt(encoded.bytes.length),
      valueCounts: encoded.stats.valueCounts,
      nullValueCounts: encoded.stats.nullValueCounts,
      nanValueCounts: encoded.stats.nanValueCounts,
      lowerBounds: encoded.stats.lowerBounds,
      upperBounds: encoded.stats.upperBounds,
      sortOrderId: 0,
    });
  }
  return files;
}

/** The directory of a data file under `data/`: `<column>_month=2026-03` (or `=null`); none for an unpartitioned table. */
export function partitionDirectory(definition: TableDefinition, month: number | null): string | undefined {
  const column = definition.monthPartitionColumn;
  if (!column) return undefined;
  return `${column}_month=${month === null ? 'null' : monthLabel(month)}`;
}
