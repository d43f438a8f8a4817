/**
 * Which rows of a lake table a SELECT can possibly use, read from DuckDB's own
 * parse tree (`json_serialize_sql()`, built into the json extension): for
 * each lake table, the comparisons of its columns with constants that are
 * top-level AND-ed terms of the WHERE of the one SELECT reading it.
 *
 * The answer feeds file pruning, which replaces the table's view by a view of
 * fewer files for the whole statement. So the rule is correctness first:
 * a predicate is reported only when every row the statement can use from the
 * table satisfies it. Anything this module does not fully understand (the
 * table read twice or through a CTE of the same name, `query_table()`,
 * OR, NOT, functions or casts on the column, parameters, outer references,
 * unqualified columns next to a join, ASOF/positional/lateral joins,
 * samples, time travel) yields no predicate for that table; dropping an
 * AND-ed term only widens the set of files, never narrows it.
 */
import type { ComparisonOp } from './file-filter.ts';

/** A constant a column is compared with, as written in the SQL. */
export type PredicateOperand =
  /** An integer literal, possibly cast to another integer type. */
  | { kind: 'integer'; value: bigint }
  /**
   * A string literal with the casts applied to it, innermost first
   * (`TIMESTAMPTZ '2026-01-01'` → text '2026-01-01', casts ['TIMESTAMP WITH
   * TIME ZONE']); the caller lets DuckDB evaluate it, so it means exactly
   * what it means in the query.
   */
  | { kind: 'text'; text: string; casts: TemporalCast[] };

/** Casts of a string literal whose value DuckDB can turn into an instant without rounding surprises. */
export type TemporalCast = 'TIMESTAMP WITH TIME ZONE' | 'TIMESTAMP' | 'DATE' | 'VARCHAR';
const TEMPORAL_CASTS: ReadonlySet<string> = new Set<TemporalCast>(['TIMESTAMP WITH TIME ZONE', 'TIMESTAMP', 'DATE', 'VARCHAR']);

/** Literal types and cast targets that hold whole numbers: a cast between them never rounds. */
const INTEGER_TYPES: ReadonlySet<string> = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT']);

/** `column op operand`, the column being the table's own (name in lower case). */
export interface SqlPredicate {
  column: string;
  op: ComparisonOp;
  operand: PredicateOperand;
}

export interface StatementPredicates {
  /** Lake tables the statement reads (lower case), whether or not they can be pruned. */
  referenced: string[];
  /** Per lake table that can be pruned: the predicates every row it contributes satisfies. */
  predicates: Map<string, SqlPredicate[]>;
}

type Node = Record<string, unknown>;

const COMPARISONS: Readonly<Record<string, ComparisonOp>> = {
  COMPARE_EQUAL: 'eq',
  COMPARE_LESSTHAN: 'lt',
  COMPARE_LESSTHANOREQUALTO: 'lte',
  COMPARE_GREATERTHAN: 'gt',
  COMPARE_GREATERTHANOREQUALTO: 'gte',
};
/** `constant op column` read as `column mirror(op) constant`. */
const MIRRORED: Readonly<Record<ComparisonOp, ComparisonOp>> = { eq: 'eq', lt: 'gt', lte: 'gte', gt: 'lt', gte: 'lte' };

/** Joins under which a WHERE term on one side's column still rejects every row of that side it is false for. */
const PLAIN_JOIN_TYPES: ReadonlySet<string> = new Set(['INNER', 'LEFT', 'RIGHT', 'OUTER']);
const PLAIN_REF_TYPES: ReadonlySet<string> = new Set(['REGULAR', 'CROSS']);
/** Table functions that read a table named by a string: they would see the pruned view without the WHERE. */
const TABLE_READING_FUNCTIONS: ReadonlySet<string> = new Set(['query_table', 'query']);
/** An IN list longer than this is not worth reading (it only yields its min and max anyway). */
const MAX_IN_LIST = 1000;

/**
 * `serialized`: the parsed output of `json_serialize_sql(sql)`; `tables`: the
 * lake table names. A statement DuckDB could not serialize (not a SELECT, or
 * a syntax error) or several statements give no predicates at all.
 */
export function extractTablePredicates(serialized: unknown, tables: readonly string[]): StatementPredicates {
  const lakeTables = new Set(tables.map((name) => name.toLowerCase()));
  const none: StatementPredicates = { referenced: [], predicates: new Map() };
  if (!isNode(serialized) || serialized.error !== false || !Array.isArray(serialized.statements) || serialized.statements.length !== 1) return none;
  const statement: unknown = serialized.statements[0];

  const references = new Map<string, Node[]>();
  const cteNames = new Set<string>();
  let readsTablesByName = false;
  for (const node of descendants(statement)) {
    if (node.type === 'BASE_TABLE' && typeof node.table_name === 'string') {
      const name = node.table_name.toLowerCase();
      if (lakeTables.has(name)) references.set(name, [...(references.get(name) ?? []), node]);
    } else if (node.type === 'TABLE_FUNCTION' && isNode(node.function) && TABLE_READING_FUNCTIONS.has(String(node.function.function_name).toLowerCase())) {
      readsTablesByName = true;
    } else if (isNode(node.cte_map) && Array.isArray(node.cte_map.map)) {
      for (const entry of node.cte_map.map) if (isNode(entry) && typeof entry.key === 'string') cteNames.add(entry.key.toLowerCase());
    }
  }
  const referenced = [...references.keys()].sort();
  if (readsTablesByName) return { referenced, predicates: new Map() };

  const predicates = new Map<string, SqlPredicate[]>();
  for (const [table, refs] of references) {
    // A CTE of the same name shadows the view somewhere; two references may see different filters.
    if (refs.length !== 1 || cteNames.has(table)) continue;
    const ref = refs[0]!;
    if (!isPlainTableReference(ref)) continue;
    const select = [...descendants(statement)].find((node) => node.type === 'SELECT_NODE' && fromItems(node.from_table)?.includes(ref));
    if (!select || select.sample !== null && select.sample !== undefined) continue;
    const items = fromItems(select.from_table)!;
    const found = conjuncts(select.where_clause).flatMap((term) => predicatesOf(term, { table, ref, alone: items.length === 1 }));
    if (found.length > 0) predicates.set(table, found);
  }
  return { referenced, predicates };
}

/**
 * The relations one statement reads by name (lower case, CTE names left out),
 * or undefined when that cannot be known from the parse tree: not exactly one
 * statement, or a function such as query_table() that takes a table name as
 * a value.
 */
export function relationsRead(serialized: unknown): string[] | undefined {
  if (!isNode(serialized) || serialized.error !== false || !Array.isArray(serialized.statements) || serialized.statements.length !== 1) return undefined;
  const relations = new Set<string>();
  const cteNames = new Set<string>();
  for (const node of descendants(serialized.statements[0])) {
    if (node.type === 'BASE_TABLE' && typeof node.table_name === 'string') relations.add(node.table_name.toLowerCase());
    else if (node.type === 'TABLE_FUNCTION' && isNode(node.function) && TABLE_READING_FUNCTIONS.has(String(node.function.function_name).toLowerCase())) return undefined;
    else if (isNode(node.cte_map) && Array.isArray(node.cte_map.map)) {
      for (const entry of node.cte_map.map) if (isNode(entry) && typeof entry.key === 'string') cteNames.add(entry.key.toLowerCase());
    }
  }
  return [...relations].filter((name) => !cteNames.has(name)).sort();
}

/** No renamed columns, no sample, no time travel, in the default schema. */
function isPlainTableReference(ref: Node): boolean {
  const schema = String(ref.schema_name ?? '').toLowerCase();
  const catalog = String(ref.catalog_name ?? '').toLowerCase();
  return (
    (schema === '' || schema === 'main') &&
    (catalog === '' || catalog === 'memory') &&
    (!Array.isArray(ref.column_name_alias) || ref.column_name_alias.length === 0) &&
    (ref.sample === null || ref.sample === undefined) &&
    (ref.at_clause === null || ref.at_clause === undefined)
  );
}

/**
 * The table references a FROM clause joins directly, or undefined when one
 * of its joins is of a kind whose result a filtered side could change
 * (ASOF, positional, natural, lateral, semi, anti).
 */
function fromItems(from: unknown): Node[] | undefined {
  if (!isNode(from)) return undefined;
  if (from.type !== 'JOIN') return [from];
  if (!PLAIN_JOIN_TYPES.has(String(from.join_type)) || !PLAIN_REF_TYPES.has(String(from.ref_type))) return undefined;
  const left = fromItems(from.left);
  const right = fromItems(from.right);
  return left && right ? [...left, ...right] : undefined;
}

/** The top-level AND-ed terms of a WHERE clause. */
function conjuncts(expression: unknown): Node[] {
  if (!isNode(expression)) return [];
  if (expression.type === 'CONJUNCTION_AND' && Array.isArray(expression.children)) return expression.children.flatMap(conjuncts);
  return [expression];
}

interface Scope {
  table: string;
  ref: Node;
  /** The table is the only item of its FROM, so an unqualified column can only be its own. */
  alone: boolean;
}

/** The predicates one WHERE term states about the table's columns; none when it is anything else. */
function predicatesOf(term: Node, scope: Scope): SqlPredicate[] {
  const comparison = COMPARISONS[String(term.type)];
  if (comparison && term.class === 'COMPARISON') {
    const leftColumn = ownColumn(term.left, scope);
    const rightColumn = ownColumn(term.right, scope);
    if (leftColumn && !rightColumn) {
      const operand = constantOperand(term.right);
      return operand ? [{ column: leftColumn, op: comparison, operand }] : [];
    }
    if (rightColumn && !leftColumn) {
      const operand = constantOperand(term.left);
      return operand ? [{ column: rightColumn, op: MIRRORED[comparison], operand }] : [];
    }
    return [];
  }
  if (term.type === 'COMPARE_BETWEEN') {
    const column = ownColumn(term.input, scope);
    const lower = constantOperand(term.lower);
    const upper = constantOperand(term.upper);
    if (!column) return [];
    return [...(lower ? [{ column, op: 'gte' as const, operand: lower }] : []), ...(upper ? [{ column, op: 'lte' as const, operand: upper }] : [])];
  }
  if (term.type === 'COMPARE_IN' && Array.isArray(term.children) && term.children.length >= 2 && term.children.length <= MAX_IN_LIST + 1) {
    // x IN (a, b, c) is an OR; the files that may hold it are those whose range meets [min, max].
    const column = ownColumn(term.children[0], scope);
    if (!column) return [];
    const values: bigint[] = [];
    for (const child of term.children.slice(1)) {
      const operand = constantOperand(child);
      if (operand?.kind !== 'integer') return [];
      values.push(operand.value);
    }
    const min = values.reduce((a, b) => (b < a ? b : a));
    const max = values.reduce((a, b) => (b > a ? b : a));
    return [
      { column, op: 'gte', operand: { kind: 'integer', value: min } },
      { column, op: 'lte', operand: { kind: 'integer', value: max } },
    ];
  }
  return [];
}

/** The column name (lower case) when `expression` is a bare reference to a column of the scope's table. */
function ownColumn(expression: unknown, scope: Scope): string | undefined {
  if (!isNode(expression) || expression.type !== 'COLUMN_REF' || !Array.isArray(expression.column_names)) return undefined;
  const names = expression.column_names.map((name) => String(name).toLowerCase());
  if (names.length === 1) return scope.alone ? names[0] : undefined;
  if (names.length !== 2) return undefined;
  const alias = String(scope.ref.alias ?? '').toLowerCase();
  const qualifier = alias === '' ? scope.table : alias;
  return names[0] === qualifier ? names[1] : undefined;
}

/** A literal (integer, or string with temporal casts) as an operand; undefined for anything else. */
function constantOperand(expression: unknown): PredicateOperand | undefined {
  const casts: string[] = [];
  let node = expression;
  while (isNode(node) && node.type === 'OPERATOR_CAST' && node.try_cast === false && isNode(node.cast_type)) {
    casts.unshift(String(node.cast_type.id));
    node = node.child;
  }
  if (!isNode(node) || node.type !== 'VALUE_CONSTANT' || !isNode(node.value) || node.value.is_null !== false) return undefined;
  const type = isNode(node.value.type) ? String(node.value.type.id) : '';
  const value = node.value.value;
  if (INTEGER_TYPES.has(type)) {
    // JSON.parse rounds past 2^53; a rounded value is no longer safe, so it is refused rather than trusted.
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || !casts.every((cast) => INTEGER_TYPES.has(cast))) return undefined;
    return { kind: 'integer', value: BigInt(value) };
  }
  if (type === 'VARCHAR' && typeof value === 'string' && casts.every((cast) => TEMPORAL_CASTS.has(cast))) {
    return { kind: 'text', text: value, casts: casts as TemporalCast[] };
  }
  return undefined;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every object in the tree, depth first (the tree is a few hundred nodes at most). */
function* descendants(value: unknown): Generator<Node> {
  if (Array.isArray(value)) {
    for (const item of value) yield* descendants(item);
  } else if (isNode(value)) {
    yield value;
    for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) yield* descendants(child);
  }
}
