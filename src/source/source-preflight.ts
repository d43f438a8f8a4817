import type pg from 'pg';
import { LakeError } from '../errors/lake-error.ts';

export interface Problem {
  problem: string;
  fix: string;
}

/**
 * Everything streaming needs from the source database, checked before any
 * change is made, each problem with the command that fixes it.
 * https://www.postgresql.org/docs/current/logical-replication-config.html
 */
export async function checkSource(client: pg.ClientBase, options: { sourceTable: string; publicationName: string }): Promise<Problem[]> {
  const problems: Problem[] = [];
  const walLevel = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level;
  if (walLevel !== 'logical') {
    problems.push({
      problem: `wal_level is '${walLevel}', logical decoding needs 'logical'`,
      fix: "run ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL (on Amazon RDS/Aurora set rds.logical_replication = 1 in the parameter group)",
    });
  }
  const role = (
    await client.query<{ rolname: string; can_replicate: boolean }>(
      `SELECT rolname, rolsuper OR rolreplication
              OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'rds_replication' AND pg_has_role(current_user, r.oid, 'member'))
              AS can_replicate
         FROM pg_roles WHERE rolname = current_user`,
    )
  ).rows[0];
  if (!role?.can_replicate) {
    problems.push({
      problem: `role ${role?.rolname ?? '?'} may not use replication`,
      fix: `run ALTER ROLE ${role?.rolname ?? '<role>'} WITH REPLICATION; as a superuser (on RDS: GRANT rds_replication TO ${role?.rolname ?? '<role>'})`,
    });
  }
  const table = (
    await client.query<{ oid: number | null }>('SELECT to_regclass($1)::oid AS oid', [options.sourceTable])
  ).rows[0]?.oid;
  if (!table) {
    problems.push({
      problem: `table ${options.sourceTable} does not exist`,
      fix: 'create it with `invoice-lake populate`, or point SOURCE_TABLE (--source-table) at your invoices table',
    });
    return problems;
  }
  const facts = (
    await client.query<{ can_select: boolean; is_owner: boolean; replident: string; has_pk: boolean; publication_exists: boolean }>(
      `SELECT has_table_privilege(c.oid, 'SELECT') AS can_select,
              pg_has_role(current_user, c.relowner, 'USAGE') AS is_owner,
              c.relreplident AS replident,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
              EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $2) AS publication_exists
         FROM pg_class c WHERE c.oid = $1`,
      [table, options.publicationName],
    )
  ).rows[0]!;
  if (!facts.can_select) {
    problems.push({ problem: `role ${role?.rolname} cannot SELECT from ${options.sourceTable}`, fix: `run GRANT SELECT ON ${options.sourceTable} TO ${role?.rolname};` });
  }
  if (facts.replident === 'n' || (facts.replident === 'd' && !facts.has_pk)) {
    problems.push({
      problem: `${options.sourceTable} has no replica identity, so its UPDATEs and DELETEs cannot be published`,
      fix: `add a primary key, or run ALTER TABLE ${options.sourceTable} REPLICA IDENTITY FULL;`,
    });
  }
  if (facts.publication_exists && !(await publicationIncludes(client, options.publicationName, table))) {
    problems.push({
      problem: `publication ${options.publicationName} exists but does not include ${options.sourceTable}`,
      fix: `run ALTER PUBLICATION ${options.publicationName} ADD TABLE ${options.sourceTable}; or choose another PUBLICATION_NAME`,
    });
  }
  if (!facts.publication_exists && !facts.is_owner) {
    problems.push({
      problem: `role ${role?.rolname} does not own ${options.sourceTable}, so it cannot create the publication`,
      fix: `ask the owner to run CREATE PUBLICATION ${options.publicationName} FOR TABLE ${options.sourceTable};`,
    });
  }
  return problems;
}

/**
 * Whether the publication publishes the table (listed, FOR ALL TABLES or FOR
 * TABLES IN SCHEMA), compared by oid. Not through the pg_publication_tables
 * view: matching its schemaname/tablename back to an oid made PostgreSQL cast
 * pg_class rows to regclass while joining, and a pg_toast one fails with
 * "permission denied for schema pg_toast" for any role but a superuser.
 * pg_get_publication_tables (the view's own source, executable by PUBLIC since
 * PostgreSQL 10) returns relids and checks no privilege. Call it only for a
 * publication that exists: it raises an error otherwise.
 * https://www.postgresql.org/docs/current/view-pg-publication-tables.html
 */
async function publicationIncludes(client: pg.ClientBase, publicationName: string, table: number): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_get_publication_tables($1::text) AS p WHERE p.relid = $2', [publicationName, table]);
  return (result.rowCount ?? 0) > 0;
}

/** One LakeError listing every problem, exit code 2. */
export function sourceNotReady(problems: Problem[]): LakeError {
  const lines = problems.map((p, i) => `  ${i + 1}. ${p.problem}\n     fix: ${p.fix}`).join('\n');
  return new LakeError('source-setup', `the source database is not ready for streaming:\n${lines}`);
}
