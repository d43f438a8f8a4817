/**
 * Iceberg's `schema.name-mapping.default` table property (spec "Column
 * Projection", "Name Mapping Serialization"): which Parquet column names
 * stand for which field id in files written without field ids.
 */
import { z } from 'zod';

interface MappedField {
  'field-id'?: number | undefined;
  names: string[];
  fields?: MappedField[] | undefined;
}

const mappedField: z.ZodType<MappedField> = z.lazy(() =>
  z.object({
    'field-id': z.number().int().optional(),
    names: z.array(z.string()),
    fields: z.array(mappedField).optional(),
  }),
);

const nameMapping = z.array(mappedField);

/** Top-level field id → the column names that mean it (nested mappings are not needed: nested columns are not read). */
export function parseNameMapping(json: string): Map<number, string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
  const result = nameMapping.safeParse(parsed);
  if (!result.success) throw new Error(result.error.issues.map((issue) => `${issue.path.join('.') || 'mapping'}: ${issue.message}`).join('; '));
  const byId = new Map<number, string[]>();
  for (const field of result.data) {
    if (field['field-id'] !== undefined) byId.set(field['field-id'], field.names);
  }
  return byId;
}
