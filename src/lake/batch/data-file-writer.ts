import type { DataFile } from '../iceberg/spec-types.ts';
import { monthLabel } from '../iceberg/transforms.ts';
import { icebergSchemaOf } from '../tables/table-definition.ts';
import type { LakeTable } from '../lake-table.ts';
import type { ColumnBuffer } from './column-buffer.ts';
import { toArrowTable } from './arrow-batch.ts';
import { encodeParquet } from './parquet-file.ts';
import { columnStats } from './column-stats.ts';

/**
 * Writes the buffered rows as Parquet data files, one per partition, and
 * describes each as an Iceberg DataFile (partition tuple, exact size, counts
 * and column bounds). The files are not part of the table until committed.
 */
export async function writeDataFiles(table: LakeTable, buffer: ColumnBuffer): Promise<DataFile[]> {
  const schemaJson = JSON.stringify(icebergSchemaOf(table.definition));
  const partitioned = table.definition.monthPartitionColumn !== undefined;
  const files: DataFile[] = [];
  for (const [month, rows] of buffer.partitions()) {
    const bytes = encodeParquet(toArrowTable(buffer, rows), schemaJson);
    const partitionDirectory = partitioned ? `${table.definition.monthPartitionColumn}_month=${month === null ? 'null' : monthLabel(month)}` : undefined;
    const filePath = await table.writeDataFile(partitionDirectory, bytes);
    const stats = columnStats(buffer, rows);
    files.push({
      content: 0,
      filePath,
      fileFormat: 'PARQUET',
      partition: partitioned ? [month] : [],
      recordCount: BigInt(rows.length),
      fileSizeInBytes: BigInt(bytes.length),
      valueCounts: stats.valueCounts,
      nullValueCounts: stats.nullValueCounts,
      nanValueCounts: stats.nanValueCounts,
      lowerBounds: stats.lowerBounds,
      upperBounds: stats.upperBounds,
      sortOrderId: 0,
    });
  }
  buffer.clear();
  return files;
}
