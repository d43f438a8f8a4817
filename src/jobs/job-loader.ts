import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lake } from '../lake/open-lake.ts';
import type { LakeQuery } from '../query/lake-query.ts';
import { parseTableMetadata } from '../lake/iceberg/table-metadata-json.ts';
import { messageOf } from '../errors/lake-error.ts';
import { JobRejected, parseJobFile } from './job-definition.ts';
import { outputTableDefinition } from './output-table.ts';
import { deltaViewName, type LoadedJob } from './job-runner.ts';
import { JOB_RUNS_TABLE } from './job-runs.ts';

export interface JobSet {
  jobs: LoadedJob[];
  /** Jobs that cannot run, each with one message naming the file and the problem. */
  rejected: JobRejected[];
}

/**
 * Loads every `*.sql` in the jobs directory and checks each against the
 * lake: the header (job-definition.ts), then whether DuckDB can prepare the
 * SQL and its result can be stored. A bad job is rejected with its reason;
 * the others load.
 */
export async function loadJobs(directory: string, lake: Lake, openSession: () => Promise<LakeQuery>): Promise<JobSet> {
  const names = (await readdir(directory).catch(() => [] as string[])).filter((name) => name.endsWith('.sql')).sort();
  const reserved = [...lake.streamTables.map((table) => table.definition.name), JOB_RUNS_TABLE.name];
  const inputs = [...new Set([...reserved, ...(await lake.catalog.listTables(lake.namespace))])].filter((name) => name !== JOB_RUNS_TABLE.name);
  const result: JobSet = { jobs: [], rejected: [] };
  if (names.length === 0) return result;
  const outputs = new Map<string, string>();
  const session = await openSession();
  try {
    for (const name of names) {
      const file = join(directory, name);
      try {
        const definition = parseJobFile(file, await readFile(file, 'utf8'), reserved, inputs);
        const writer = outputs.get(definition.output);
        if (writer) throw new JobRejected(file, `output "${definition.output}" is already written by job ${writer}`);
        if (definition.schedule.kind === 'on-commit') await createEmptyDeltaView(session, lake, definition.schedule.table);
        let columns;
        try {
          columns = await session.describe(definition.sql);
        } catch (error) {
          throw new JobRejected(file, `DuckDB cannot prepare the SQL: ${messageOf(error)}`);
        }
        // DuckDB's statement type, beyond the header check's "starts with SELECT": `WITH … INSERT` is no read.
        await session.checkReadStatement(definition.sql).catch((error: unknown) => {
          throw new JobRejected(file, messageOf(error));
        });
        let outputTable;
        try {
          outputTable = outputTableDefinition(definition.output, columns, definition.partitionColumn);
        } catch (error) {
          throw new JobRejected(file, messageOf(error));
        }
        outputs.set(definition.output, definition.name);
        result.jobs.push({ ...definition, outputTable });
      } catch (error) {
        result.rejected.push(error instanceof JobRejected ? error : new JobRejected(file, messageOf(error)));
      }
    }
  } finally {
    session.close();
  }
  return result;
}

/** While loading, `<table>_delta` is an empty view with the input's columns, so the SQL prepares. */
async function createEmptyDeltaView(session: LakeQuery, lake: Lake, table: string): Promise<void> {
  const location = await lake.catalog.currentMetadataLocation({ namespace: lake.namespace, name: table });
  if (!location) {
    const known = lake.streamTables.find((candidate) => candidate.definition.name === table);
    if (!known) throw new Error(`input table ${table} does not exist`);
    await known.ensureCreated();
    return createEmptyDeltaView(session, lake, table);
  }
  const metadata = parseTableMetadata((await lake.storage.read(lake.storage.relativePath(location) ?? location)).toString('utf8'));
  const schema = metadata.schemas.find((candidate) => candidate['schema-id'] === metadata.currentSchemaId) ?? metadata.schemas[0]!;
  await session.createView(deltaViewName(table), schema, []);
}
