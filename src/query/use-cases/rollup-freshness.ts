import type { Lake } from '../../lake/open-lake.ts';
import type { TableMetadata } from '../../lake/iceberg/spec-types.ts';
import { parseTableMetadata } from '../../lake/iceberg/table-metadata-json.ts';
import { currentSnapshot } from '../../lake/lake-table.ts';
import { icebergSchemaOf } from '../../lake/tables/table-definition.ts';
import { CUSTOMER_MONTHLY_TOTALS_TABLE, ROLLUP_INPUT_SNAPSHOT_KEY } from './customer-monthly-totals-table.ts';

/** Whether `customer_monthly_totals` answers exactly what `invoices` would, and why (for the operator). */
export type RollupFreshness = { fresh: true; reason: string } | { fresh: false; reason: string };

/**
 * The rollup is fresh when its current snapshot records, under
 * ROLLUP_INPUT_SNAPSHOT_KEY, the invoices snapshot that is current now: it
 * has then processed every invoice the lake holds. A missing table, other
 * columns, a missing key or an older snapshot make it stale.
 */
export async function rollupFreshness(lake: Lake): Promise<RollupFreshness> {
  const name = CUSTOMER_MONTHLY_TOTALS_TABLE.name;
  const rollup = await currentMetadata(lake, name);
  if (!rollup) return { fresh: false, reason: `${name} does not exist` };
  if (!sameColumns(rollup)) return { fresh: false, reason: `${name} does not have the expected columns` };
  const processed = currentSnapshot(rollup)?.summary[ROLLUP_INPUT_SNAPSHOT_KEY];
  if (processed === undefined) return { fresh: false, reason: `${name} does not record which invoices snapshot it processed` };
  const invoices = await currentMetadata(lake, 'invoices');
  const current = invoices?.currentSnapshotId;
  if (current === undefined) return { fresh: false, reason: 'invoices has no snapshot yet' };
  if (processed !== String(current)) return { fresh: false, reason: `${name} is stale: it has processed invoices snapshot ${processed}, the current one is ${current}` };
  return { fresh: true, reason: `${name} is fresh: it has processed invoices snapshot ${current}, the current one` };
}

async function currentMetadata(lake: Lake, name: string): Promise<TableMetadata | undefined> {
  const location = await lake.catalog.currentMetadataLocation({ namespace: lake.namespace, name });
  if (!location) return undefined;
  const bytes = await lake.storage.read(lake.storage.relativePath(location) ?? location);
  return parseTableMetadata(bytes.toString('utf8'));
}

function sameColumns(metadata: TableMetadata): boolean {
  const schema = metadata.schemas.find((candidate) => candidate['schema-id'] === metadata.currentSchemaId) ?? metadata.schemas[0];
  const describe = (fields: ReadonlyArray<{ name: string; type: unknown }>) => fields.map((field) => `${field.name}:${JSON.stringify(field.type)}`).join(',');
  return describe(schema?.fields ?? []) === describe(icebergSchemaOf(CUSTOMER_MONTHLY_TOTALS_TABLE).fields);
}
