import { BIGINT, BOOLEAN, DATE, DECIMAL, DOUBLE, FLOAT, HUGEINT, INTEGER, LIST, STRUCT, TIME, TIMESTAMP, TIMESTAMPTZ, UBIGINT, VARCHAR } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { outputTableDefinition, UnsupportedColumn } from '../../../src/jobs/output-table.ts';
import { icebergSchemaOf, partitionSpecOf } from '../../../src/lake/tables/table-definition.ts';

describe('outputTableDefinition (job result columns → lake table)', () => {
  it('maps each stored type to its Iceberg type, field ids in column order', () => {
    const definition = outputTableDefinition(
      'out',
      [
        { name: 'id', type: BIGINT },
        { name: 'n', type: INTEGER },
        { name: 'score', type: DOUBLE },
        { name: 'ratio', type: FLOAT },
        { name: 'name', type: VARCHAR },
        { name: 'at', type: TIMESTAMPTZ },
        { name: 'amount', type: DECIMAL(18, 2) },
        { name: 'flag', type: BOOLEAN },
        { name: 'day', type: DATE },
      ],
      undefined,
    );
    expect(icebergSchemaOf(definition).fields.map((field) => `${field.id}:${field.name}:${field.type}`)).toEqual([
      '1:id:long',
      '2:n:long',
      '3:score:double',
      '4:ratio:double',
      '5:name:string',
      '6:at:timestamptz',
      '7:amount:decimal(18, 2)',
      '8:flag:boolean',
      '9:day:date',
    ]);
    expect(partitionSpecOf(definition)).toEqual({ 'spec-id': 0, fields: [] });
  });

  it.each([
    [HUGEINT, /type HUGEINT.*cast it to BIGINT/],
    [UBIGINT, /cast it to BIGINT/],
    [DECIMAL(38, 2), /type DECIMAL\(38,2\).*cast it to DECIMAL\(18, 2\)/],
    [TIMESTAMP, /cast it to TIMESTAMPTZ/],
    [TIME, /cast it to VARCHAR/],
    [LIST(INTEGER), /cast it to VARCHAR/],
    [STRUCT({ a: INTEGER }), /cast it to VARCHAR/],
  ])('refuses %s with the cast that fixes it', (type, message) => {
    expect(() => outputTableDefinition('out', [{ name: 'c', type }], undefined)).toThrow(UnsupportedColumn);
    expect(() => outputTableDefinition('out', [{ name: 'c', type }], undefined)).toThrow(message);
  });

  it('partitions by month of a TIMESTAMPTZ column only', () => {
    const columns = [
      { name: 'month', type: TIMESTAMPTZ },
      { name: 'day', type: DATE },
    ];
    expect(partitionSpecOf(outputTableDefinition('out', columns, 'month')).fields).toEqual([{ 'source-id': 1, 'field-id': 1000, name: 'month_month', transform: 'month' }]);
    expect(() => outputTableDefinition('out', columns, 'day')).toThrow(/partition column "day" must be TIMESTAMPTZ/);
    expect(() => outputTableDefinition('out', columns, 'missing')).toThrow(/partition column "missing" is not in the result \(columns: month, day\)/);
  });

  it('refuses two result columns of the same name', () => {
    expect(() => outputTableDefinition('out', [{ name: 'a', type: BIGINT }, { name: 'a', type: VARCHAR }], undefined)).toThrow(/two columns named "a"/);
  });
});
