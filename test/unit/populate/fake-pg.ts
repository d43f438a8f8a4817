/**
 * A scripted stand-in for a pg client: records every statement and answers
 * from a responder, so SQL-issuing logic is testable without a database.
 */
import type { Client } from 'pg';

/** One recorded statement. */
export interface RecordedQuery {
  readonly text: string;
  readonly values: readonly unknown[] | undefined;
}

/** Answers a statement with rows, or throws to simulate a server error. */
export type Responder = (text: string, values: readonly unknown[] | undefined) => unknown[];

/** A fake client and the log of what it was asked. */
export function fakeClient(respond: Responder): { client: Client; queries: RecordedQuery[] } {
  const queries: RecordedQuery[] = [];
  const query = async (config: string | { text: string; values?: unknown[] }, values?: unknown[]) => {
    const text = typeof config === 'string' ? config : config.text;
    const params = typeof config === 'string' ? values : (config.values ?? values);
    queries.push({ text, values: params });
    const rows = respond(text, params);
    return { rows, rowCount: rows.length };
  };
  return { client: { query } as unknown as Client, queries };
}
