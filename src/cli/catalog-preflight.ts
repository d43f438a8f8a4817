import type pg from 'pg';
import type { Problem } from '../source/source-preflight.ts';
import type { LakeSettings } from '../lake/open-lake.ts';
import { connectPostgres } from '../source/source-connection.ts';

/**
 * What `setup` needs in the catalog database for the Iceberg JDBC catalog,
 * checked before the publication or slot are created so a missing grant does
 * not leave a half set-up system. JdbcCatalog.initialize runs
 * CREATE SCHEMA IF NOT EXISTS and CREATE TABLE IF NOT EXISTS every time, and
 * PostgreSQL checks CREATE on the database (resp. the schema) before it
 * looks whether the object exists, so both privileges are needed on every
 * run, not only the first.
 * https://www.postgresql.org/docs/current/sql-createschema.html
 */
export async function checkCatalogDatabase(client: pg.ClientBase, options: { schema: string }): Promise<Problem[]> {
  const facts = (
    await client.query<{ role: string; database: string; can_create_schema: boolean; schema_exists: boolean; can_create_in_schema: boolean }>(
      `SELECT current_user AS role, current_database() AS database,
              has_database_privilege(current_database(), 'CREATE') AS can_create_schema,
              n.oid IS NOT NULL AS schema_exists,
              coalesce(has_schema_privilege(n.oid, 'CREATE'), false) AS can_create_in_schema
         FROM (SELECT 1) AS one LEFT JOIN pg_namespace n ON n.nspname = $1`,
      [options.schema],
    )
  ).rows[0]!;
  const problems: Problem[] = [];
  if (!facts.can_create_schema) {
    problems.push({
      problem: `role ${facts.role} may not create schemas in database ${facts.database}, which setup needs for the catalog schema ${options.schema} (even when it exists)`,
      fix: `run GRANT CREATE ON DATABASE ${facts.database} TO ${facts.role}; or point CATALOG_URL (--catalog-url) at a database where it may`,
    });
  }
  if (facts.schema_exists && !facts.can_create_in_schema) {
    problems.push({
      problem: `role ${facts.role} may not create tables in the catalog schema ${options.schema}`,
      fix: `run GRANT USAGE, CREATE ON SCHEMA ${options.schema} TO ${facts.role}; as its owner, or choose another CATALOG_SCHEMA`,
    });
  }
  return problems;
}

/**
 * {@link checkCatalogDatabase} for the lake's catalog: nothing for a
 * filesystem catalog; on the source connection when the catalog lives in the
 * source database (the default), else on a connection of its own.
 */
export async function preflightCatalog(lake: LakeSettings, source: { client: pg.ClientBase; url: string }): Promise<Problem[]> {
  if (lake.catalog !== 'jdbc' || !lake.catalogUrl) return [];
  if (lake.catalogUrl === source.url) return checkCatalogDatabase(source.client, { schema: lake.catalogSchema });
  const client = await connectPostgres(lake.catalogUrl, 'catalog');
  try {
    return await checkCatalogDatabase(client, { schema: lake.catalogSchema });
  } finally {
    await client.end();
  }
}
