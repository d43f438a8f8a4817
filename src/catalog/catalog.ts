/**
 * The table catalog: which metadata file is a table's current state.
 *
 * A commit is a compare-and-swap of the metadata location; it succeeds only
 * when nobody else committed since `expected` was read, which makes the
 * lake safe against concurrent writers (another invoice-lake, Spark, Trino).
 */
export interface TableIdentifier {
  namespace: string;
  name: string;
}

export interface Catalog {
  /** e.g. `jdbc catalog invoice_lake in schema invoice_lake_catalog`; never holds secrets. */
  readonly description: string;
  /** True when `commit` already maintains `vN.metadata.json` and `version-hint.text`. */
  readonly maintainsVersionHint: boolean;
  /** Creates the catalog tables and the namespace if missing (idempotent). */
  initialize(namespace: string): Promise<void>;
  currentMetadataLocation(table: TableIdentifier): Promise<string | undefined>;
  /** Registers a new table; false when it already exists. */
  create(table: TableIdentifier, metadataLocation: string): Promise<boolean>;
  /**
   * Swaps the current metadata location from `expected` to `next`.
   * Returns the committed location, or undefined when `expected` is stale.
   */
  commit(table: TableIdentifier, expected: string, next: string): Promise<string | undefined>;
  listTables(namespace: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Version number of a metadata file named `00012-<uuid>.metadata.json` or `v12.metadata.json`. */
export function metadataVersion(location: string): number {
  const name = location.slice(location.lastIndexOf('/') + 1);
  const match = /^(?:v(\d+)|(\d+)-[^/]+)(?:\.gz)?\.metadata\.json$/.exec(name);
  return match ? Number(match[1] ?? match[2]) : -1;
}
