import { describe, expect, it } from 'vitest';
import { checkClaim, claimOf, claimProperties, nextClaim } from '../../../src/lake/writer-fence.ts';
import { newTableMetadata, withProperties } from '../../../src/lake/iceberg/table-metadata-builder.ts';
import { isLakeError } from '../../../src/errors/lake-error.ts';

const base = newTableMetadata({
  location: 'file:///lake/invoices',
  schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
  spec: { 'spec-id': 0, fields: [] },
  nowMs: 1000,
  tableUuid: '00000000-0000-4000-8000-000000000000',
});

describe('writer fence', () => {
  it('claims epochs in order and records who claimed', () => {
    expect(claimOf(base)).toBeUndefined();
    const first = nextClaim(base, 'a/1/slot');
    expect(first).toEqual({ id: 'a/1/slot', epoch: 1n });
    const claimed = withProperties(base, { updates: claimProperties(first), nowMs: 2000, previousMetadataFile: 'file:///lake/invoices/metadata/00000-x.metadata.json' });
    expect(claimOf(claimed)).toEqual(first);
    expect(nextClaim(claimed, 'b/2/slot').epoch).toBe(2n);
  });

  it('a table claimed by a newer writer fences the older one with exit 2', () => {
    const mine = nextClaim(base, 'a/1/slot');
    const theirs = nextClaim(withProperties(base, { updates: claimProperties(mine), nowMs: 2000, previousMetadataFile: 'm1' }), 'b/2/slot');
    const taken = withProperties(base, { updates: claimProperties(theirs), nowMs: 3000, previousMetadataFile: 'm2' });
    expect(() => checkClaim('invoices', taken, mine)).toThrow(/another writer took over lake table invoices: b\/2\/slot \(epoch 2\)/);
    try {
      checkClaim('invoices', taken, mine);
    } catch (error) {
      expect(isLakeError(error) && error.exitCode).toBe(2);
    }
    expect(() => checkClaim('invoices', taken, theirs)).not.toThrow();
  });

  it('a properties update keeps the snapshots and logs the previous metadata file', () => {
    const next = withProperties(base, { updates: { 'invoice-lake.writer-epoch': '1' }, nowMs: 500, previousMetadataFile: 'file:///m0' });
    expect(next.snapshots).toBe(base.snapshots);
    expect(next.currentSnapshotId).toBe(base.currentSnapshotId);
    expect(next.lastUpdatedMs).toBe(1000); // never goes back in time
    expect(next.metadataLog).toEqual([{ timestampMs: 1000, metadataFile: 'file:///m0' }]);
    expect(() => withProperties(base, { updates: { uuid: 'x' }, nowMs: 1, previousMetadataFile: 'm' })).toThrow(/reserved/);
  });
});
