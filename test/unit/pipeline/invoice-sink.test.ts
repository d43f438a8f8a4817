import { describe, expect, it } from 'vitest';
import type { Relation, RelationColumn } from '../../../src/source/change-source.ts';
import type { Lsn } from '../../../src/source/lsn.ts';
import type { LakeWriter } from '../../../src/pipeline/lake-writer.ts';
import { InvoiceSink } from '../../../src/pipeline/invoice-sink.ts';
import { ScoringStage } from '../../../src/pipeline/scoring-stage.ts';
import type { OpenTransaction } from '../../../src/pipeline/change-sink.ts';
import type { RowValues } from '../../../src/lake/tables/table-definition.ts';

const column = (name: string): RelationColumn => ({ name, typeOid: 25, typeMod: -1, isKey: name === 'invoice_id' });
const INVOICES: Relation = {
  oid: 1,
  schema: 'public',
  name: 'invoices',
  replicaIdentity: 'default',
  columns: ['invoice_id', 'issue_date', 'issuer_id', 'receiver_id', 'amount'].map(column),
};
const OTHER: Relation = { ...INVOICES, oid: 2, name: 'customers' };
const ROW = ['7', '2026-02-01 08:00:00+00', '1', '2', '10.50'];

/** The part of LakeWriter the sink and the scoring stage use: rows appended per table, watermarks. */
function fakeWriter(watermarks: Record<string, Lsn> = {}) {
  const appended: Array<{ table: string; row: RowValues }> = [];
  const writer = {
    append: (table: string, row: RowValues) => void appended.push({ table, row }),
    includes: (table: string, commitLsn: Lsn) => commitLsn < (watermarks[table] ?? 0n),
    get freshRows() {
      return appended.length;
    },
  };
  return { writer: writer as unknown as LakeWriter, appended };
}

function sinkOver(watermarks: Record<string, Lsn> = {}) {
  const { writer, appended } = fakeWriter(watermarks);
  const quarantined: string[] = [];
  const scoring = new ScoringStage({ writer }, { threshold: 0.9 });
  const sink = new InvoiceSink({ writer, scoring }, { sourceTable: 'public.invoices' }, { onQuarantine: (reason) => quarantined.push(reason) });
  return { sink, appended, quarantined };
}

const txn = (commitLsn: Lsn): OpenTransaction => ({ commitLsn, commitTimeMicros: 5n });

describe('the invoice sink', () => {
  it('routes inserts to invoices (once scored), updates, deletes and truncates to invoice_changes', async () => {
    const { sink, appended } = sinkOver();
    const t = txn(100n);
    expect(sink.accept({ kind: 'insert', relation: INVOICES, values: ROW }, t)).toBe(true);
    // Waiting for scoring: counted as fresh work, not appended yet.
    expect(appended).toEqual([]);
    expect(sink.freshRows).toBe(1);
    await sink.endTransaction();
    expect(sink.accept({ kind: 'update', relation: INVOICES, old: ['6', null, null, null, null], values: ROW }, t)).toBe(true);
    expect(sink.accept({ kind: 'delete', relation: INVOICES, old: ['7', null, null, null, null] }, t)).toBe(true);
    expect(sink.accept({ kind: 'truncate', relations: [OTHER, INVOICES], cascade: false, restartIdentity: false }, t)).toBe(true);
    expect(appended.map(({ table, row }) => [table, row[0], table === 'invoice_changes' ? row[3] : null])).toEqual([
      ['invoices', 7n, null],
      ['invoice_changes', 'update', 6n],
      ['invoice_changes', 'delete', 7n],
      ['invoice_changes', 'truncate', null],
    ]);
  });

  it('ignores changes of other relations', () => {
    const { sink, appended } = sinkOver();
    const t = txn(100n);
    expect(sink.accept({ kind: 'insert', relation: OTHER, values: ROW }, t)).toBe(false);
    expect(sink.accept({ kind: 'truncate', relations: [OTHER], cascade: false, restartIdentity: false }, t)).toBe(false);
    expect(appended).toEqual([]);
    expect(sink.freshRows).toBe(0);
  });

  it('quarantines a value it cannot store exactly, and says why', () => {
    const { sink, appended, quarantined } = sinkOver();
    expect(sink.accept({ kind: 'insert', relation: INVOICES, values: ['7', ROW[1]!, '1', '2', null] }, txn(100n))).toBe(true);
    expect(appended.map(({ table }) => table)).toEqual(['quarantine']);
    expect(quarantined).toEqual(['amount is null']);
  });

  it('skips, per table, a transaction already below that table’s watermark', async () => {
    const { sink, appended } = sinkOver({ invoices: 200n });
    const replayed = txn(150n);
    expect(sink.accept({ kind: 'insert', relation: INVOICES, values: ROW }, replayed)).toBe(false);
    expect(sink.accept({ kind: 'delete', relation: INVOICES, old: ROW }, replayed)).toBe(true);
    await sink.endTransaction();
    expect(appended.map(({ table }) => table)).toEqual(['invoice_changes']);
    expect(sink.accept({ kind: 'insert', relation: INVOICES, values: ROW }, txn(250n))).toBe(true);
  });

  it('reads column positions again when a relation message arrives', () => {
    const { sink, appended } = sinkOver();
    const t = txn(100n);
    sink.accept({ kind: 'delete', relation: INVOICES, old: ROW }, t);
    const reordered: Relation = { ...INVOICES, columns: [...INVOICES.columns].reverse() };
    sink.relation(reordered);
    sink.accept({ kind: 'delete', relation: reordered, old: [...ROW].reverse() }, t);
    expect(appended.map(({ row }) => row[3])).toEqual([7n, 7n]);
  });
});
