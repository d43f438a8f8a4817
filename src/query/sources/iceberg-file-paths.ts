/**
 * Maps the file URIs inside a table's metadata (where the writer put them:
 * `s3a://bucket/t/data/x.parquet`, `file:/tmp/t/...`) to the table's copy on
 * local disk, by their suffix after the table root.
 */
import { join } from 'node:path';

/** `s3a://bucket/a/b/` → `bucket/a/b`; `file:/tmp/t` and `/tmp/t` → `tmp/t`: scheme-free, so s3 and s3a match. */
export function withoutScheme(uri: string): string {
  return uri.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, '').replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * A function from metadata URIs to local paths under `tablePath`. Besides the
 * table `location`, the data folders a writer may have been told to use
 * (`write.data.path`, Athena's `write.object-storage.path`) map to
 * `<tablePath>/data`. Returns undefined for a URI under none of them.
 */
export function localPathMapper(
  tablePath: string,
  location: string,
  properties: Readonly<Record<string, string>>,
): (uri: string) => string | undefined {
  const roots: Array<{ prefix: string; local: string }> = [];
  for (const key of ['write.data.path', 'write.object-storage.path', 'write.folder-storage.path']) {
    const value = properties[key];
    if (value) roots.push({ prefix: withoutScheme(value), local: join(tablePath, 'data') });
  }
  roots.push({ prefix: withoutScheme(location), local: tablePath });
  // The longest root wins, so a data path below the location maps to data/ and not twice.
  roots.sort((a, b) => b.prefix.length - a.prefix.length);
  return (uri) => {
    const path = withoutScheme(uri);
    for (const root of roots) {
      if (path.startsWith(`${root.prefix}/`)) return join(root.local, path.slice(root.prefix.length + 1));
    }
    return undefined;
  };
}
