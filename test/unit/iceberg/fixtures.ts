/**
 * Real Iceberg tables written by Spark, the Java API and Athena, kept in the
 * repository (`test/fixtures/iceberg`, see its README for their origin) so a
 * plain clone tests alone. Resolved relative to this file so the checkout
 * location does not matter.
 */
import { readFileSync } from 'node:fs';

/** `<repo>/test/fixtures/iceberg/` */
export const FIXTURES_ROOT = new URL('../../fixtures/iceberg/', import.meta.url);

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
