/**
 * Real Iceberg tables written by Spark, the Java API and Athena, kept outside the
 * repository in `shared/fixtures/iceberg` (a sibling of the repo folder, locally
 * and in CI). Resolved relative to this file so the checkout location does not matter.
 */
import { readFileSync } from 'node:fs';

/** `<repo>/../shared/fixtures/iceberg/` */
export const FIXTURES_ROOT = new URL('../../../../shared/fixtures/iceberg/', import.meta.url);

/** Bytes of a fixture file, path relative to the fixtures root (e.g. `spark/bunnies/metadata/v5.metadata.json`). */
export function fixtureBytes(relative: string): Buffer {
  return readFileSync(new URL(relative, FIXTURES_ROOT));
}

/** Lowercase hex of some bytes, for readable byte assertions. */
export function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes from a hex string. */
export function unhex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}
