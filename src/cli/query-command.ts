import type { Settings } from '../config/settings.ts';
import { openLake } from '../lake/open-lake.ts';
import { LakeQuery } from '../query/lake-query.ts';
import { formatResult, type OutputFormat } from '../query/result-format.ts';
import { lakeSettings } from './lake-settings.ts';

/** `invoice-lake query "<SQL>"`: DuckDB with every lake table as a view. */
export async function queryCommand(settings: Settings, sql: string, format: OutputFormat, write: (text: string) => void): Promise<void> {
  const lake = openLake(lakeSettings(settings));
  try {
    const session = await LakeQuery.open(lake);
    try {
      const result = await session.run(sql);
      write(formatResult(result.columns, result.rows, format));
    } finally {
      session.close();
    }
  } finally {
    await lake.close();
  }
}
