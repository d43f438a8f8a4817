import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';

/**
 * Arrow → Parquet with parquet-wasm (arrow-rs compiled to WebAssembly).
 * Chosen over DuckDB's COPY because the batch is already Arrow: the rows are
 * encoded once, with no second copy into a DuckDB table, and `PARQUET:field_id`
 * metadata becomes the Parquet field id. ZSTD keeps files small at a low CPU cost.
 *
 * `iceberg.schema` in the footer is what Java and Spark write; readers that
 * map columns by it (icebird) then need no name matching.
 */
export function encodeParquet(table: arrow.Table, icebergSchemaJson: string): Uint8Array {
  const ipc = arrow.tableToIPC(table, 'stream');
  const wasmTable = parquet.Table.fromIPCStream(ipc);
  const properties = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setCreatedBy('invoice-lake')
    .setKeyValueMetadata(new Map([['iceberg.schema', icebergSchemaJson]]))
    .build();
  return parquet.writeParquet(wasmTable, properties);
}
