import type { DataFile } from '../iceberg/spec-types.ts';
import { monthLabel } from '../iceberg/transforms.ts';
import type { LakeTable } from '../lake-table.ts';
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
    const partitionDirectory = partitionColumn ? `${partitionColumn}_month=${encoded.month === null ? 'null' : monthLabel(encoded.month)}` : undefined;
    const filePath = await table.writeDataFile(partitionDirectory, encoded.bytes);
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
