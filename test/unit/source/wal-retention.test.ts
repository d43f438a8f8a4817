import { describe, expect, it } from 'vitest';
import { describeRetention, formatBytes, formatRetentionNote, retentionNotes, type SlotRetention } from '../../../src/source/wal-retention.ts';

const GB = 1024n ** 3n;

function retention(overrides: Partial<SlotRetention> = {}): SlotRetention {
  return { slotName: 'invoice_lake', walStatus: 'reserved', retainedBytes: 4096n, maxSlotWalKeepSizeBytes: 50n * GB, ...overrides };
}

describe('retentionNotes', () => {
  it('says nothing for a capped slot within its cap', () => {
    expect(retentionNotes(retention())).toEqual([]);
    expect(retentionNotes(retention({ walStatus: 'extended' }))).toEqual([]);
  });

  it('warns about unbounded retention, naming the setting, the risk and the fix with the slot to drop', () => {
    const notes = retentionNotes(retention({ maxSlotWalKeepSizeBytes: null }));
    expect(notes).toHaveLength(1);
    const [note] = notes;
    expect(note!.level).toBe('warning');
    expect(note!.problem).toContain('max_slot_wal_keep_size = -1');
    expect(note!.problem).toMatch(/disk is full/);
    expect(note!.fix).toContain("ALTER SYSTEM SET max_slot_wal_keep_size = '50GB'; SELECT pg_reload_conf();");
    expect(note!.fix).toContain("SELECT pg_drop_replication_slot('invoice_lake');");
  });

  it('warns that an unreserved slot is about to be lost', () => {
    const notes = retentionNotes(retention({ walStatus: 'unreserved' }));
    expect(notes.map((n) => n.level)).toEqual(['warning']);
    expect(notes[0]!.problem).toContain('wal_status unreserved');
    expect(notes[0]!.fix).toContain('invoice-lake run');
  });

  it('lists both warnings for an unreserved slot without a cap', () => {
    expect(retentionNotes(retention({ walStatus: 'unreserved', maxSlotWalKeepSizeBytes: null })).map((n) => n.problem)).toEqual([
      expect.stringContaining('unreserved'),
      expect.stringContaining('unbounded'),
    ]);
  });

  it('makes a lost slot an error (alone) whose fix drops the slot, re-runs setup and says what the lake misses', () => {
    const notes = retentionNotes(retention({ walStatus: 'lost', retainedBytes: null, maxSlotWalKeepSizeBytes: null }));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.level).toBe('error');
    expect(notes[0]!.problem).toContain('replication slot invoice_lake is lost');
    expect(notes[0]!.fix).toContain("SELECT pg_drop_replication_slot('invoice_lake');");
    expect(notes[0]!.fix).toContain('invoice-lake setup');
    expect(notes[0]!.fix).toMatch(/misses the changes/);
  });
});

describe('describeRetention', () => {
  it('gives the retained bytes, wal_status and the cap', () => {
    expect(describeRetention(retention({ retainedBytes: 16n * 1024n * 1024n, maxSlotWalKeepSizeBytes: null }))).toBe(
      'retains 16.0 MB of WAL (16777216 bytes), wal_status reserved, max_slot_wal_keep_size unlimited',
    );
    expect(describeRetention(retention({ walStatus: 'lost', retainedBytes: null }))).toBe(
      'retains no WAL it can still use, wal_status lost, max_slot_wal_keep_size 50.0 GB',
    );
    expect(describeRetention(retention({ walStatus: null }))).toContain('wal_status unknown');
  });
});

describe('formatBytes', () => {
  it.each([
    [0n, '0 bytes'],
    [1023n, '1023 bytes'],
    [1024n, '1.0 kB'],
    [1536n, '1.5 kB'],
    [5n * GB, '5.0 GB'],
    [3n * 1024n ** 4n, '3.0 TB'],
  ])('%s -> %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});

describe('formatRetentionNote', () => {
  it('prints the level, the problem and an indented fix', () => {
    expect(formatRetentionNote({ level: 'warning', problem: 'p', fix: 'f' })).toBe('warning: p\n  fix: f');
  });
});
