import { describe, expect, it } from 'vitest';
import { relocatedDataDir } from '../../../src/demo/postgres-data-dir.ts';
import { runtimeCopyName } from '../../../src/demo/postgres-runtime.ts';

describe('where the embedded PostgreSQL keeps what the postgres user cannot reach', () => {
  it('derives the relocated data directory from the requested one: same input, same place (the demo data persists)', () => {
    const first = relocatedDataDir('/var/tmp', '/root/secret/project/.invoice-lake/pgdata');
    expect(first).toBe(relocatedDataDir('/var/tmp', '/root/secret/project/.invoice-lake/pgdata'));
    expect(first).toMatch(/^\/var\/tmp\/invoice-lake-pgdata-[0-9a-f]{16}\/pgdata$/);
  });

  it('gives different requested directories different places', () => {
    const a = relocatedDataDir('/var/tmp', '/root/a/.invoice-lake/pgdata');
    const b = relocatedDataDir('/var/tmp', '/root/b/.invoice-lake/pgdata');
    expect(a).not.toBe(b);
  });

  it('names the copy of the binaries after the package version and a fingerprint of the binaries', () => {
    expect(runtimeCopyName('18.4.0-beta.17', 'abcdef0123456789')).toBe('invoice-lake-postgres-18.4.0-beta.17-abcdef012345');
    // A version read from a package.json never puts a path separator or dots-only name in the path.
    expect(runtimeCopyName('../../etc', 'abcdef0123456789')).toBe('invoice-lake-postgres-.._.._etc-abcdef012345');
  });
});
