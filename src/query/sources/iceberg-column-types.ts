/**
 * Iceberg primitive types (spec "Primitive Types") as DuckDB column types.
 * Nested types (struct, list, map objects in the schema JSON) have no
 * mapping: the view leaves those columns out.
 */
const PRIMITIVES: Readonly<Record<string, string>> = {
  boolean: 'BOOLEAN',
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  date: 'DATE',
  time: 'TIME',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  timestamp_ns: 'TIMESTAMP_NS',
  // DuckDB has no nanosecond TIMESTAMPTZ; microseconds keep the instant.
  timestamptz_ns: 'TIMESTAMPTZ',
  string: 'VARCHAR',
  uuid: 'UUID',
  binary: 'BLOB',
};

/** The DuckDB type of an Iceberg field type, or undefined for nested and unknown types. */
export function duckdbTypeOfIceberg(type: unknown): string | undefined {
  if (typeof type !== 'string') return undefined;
  const name = type.trim().toLowerCase();
  const primitive = PRIMITIVES[name];
  if (primitive) return primitive;
  const decimal = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(name);
  // DuckDB's DECIMAL stops at 38 digits, as does Iceberg's.
  if (decimal && Number(decimal[1]) <= 38) return `DECIMAL(${decimal[1]}, ${decimal[2]})`;
  if (/^fixed\[\s*\d+\s*\]$/.test(name)) return 'BLOB';
  return undefined;
}
