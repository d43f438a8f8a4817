/**
 * Finds the current metadata file of an Iceberg table directory the way
 * path-based readers (Java's HadoopTableOperations, PyIceberg's StaticTable,
 * icebird) do: the version hint if it names an existing file, otherwise the
 * highest-numbered metadata file in `metadata/`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LakeError, messageOf } from '../../errors/lake-error.ts';

/** `v12.metadata.json` (Hadoop tables, Spark) or `00012-<uuid>.metadata.json` (catalogs, Athena); optionally gzipped. */
const METADATA_FILE = /^(?:v(\d+)|(\d+)-[0-9A-Za-z-]+)(?:\.gz\.metadata\.json|\.metadata\.json(?:\.gz)?)$/;

/** The version a metadata file name carries, or undefined when the name is not a metadata file. */
export function metadataFileVersion(fileName: string): number | undefined {
  const match = METADATA_FILE.exec(fileName);
  if (!match) return undefined;
  return Number(match[1] ?? match[2]);
}

/**
 * The metadata file to read among `fileNames` (the listing of `metadata/`).
 * A hint is either a version number (Java writes `5` for `v5.metadata.json`)
 * or a file name; a hint naming no listed file is ignored, as Java does.
 */
export function chooseMetadataFile(fileNames: readonly string[], versionHint: string | undefined): string | undefined {
  const candidates = fileNames.filter((name) => metadataFileVersion(name) !== undefined);
  const hint = versionHint?.trim();
  if (hint) {
    const hinted = /^\d+$/.test(hint)
      ? candidates.find((name) => metadataFileVersion(name) === Number(hint))
      : candidates.find((name) => name === hint.slice(hint.lastIndexOf('/') + 1));
    if (hinted) return hinted;
  }
  let latest: string | undefined;
  for (const name of candidates) {
    // Equal versions cannot both be current; the name order only makes the choice deterministic.
    if (latest === undefined || metadataFileVersion(name)! > metadataFileVersion(latest)! || (metadataFileVersion(name) === metadataFileVersion(latest) && name > latest)) {
      latest = name;
    }
  }
  return latest;
}

export interface CurrentMetadata {
  /** Absolute path of the metadata file read. */
  path: string;
  json: string;
}

/** Reads the current metadata JSON of the table in `tablePath`; a missing piece is a 'config' error naming it. */
export async function readCurrentMetadata(tablePath: string, what: string): Promise<CurrentMetadata> {
  const info = await stat(tablePath).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new LakeError('config', `${what}: ${tablePath} is not a directory`, {
      hint: 'give the Iceberg table directory, the one that holds metadata/',
    });
  }
  const metadataDir = join(tablePath, 'metadata');
  const names = await readdir(metadataDir).catch(() => undefined);
  if (names === undefined) {
    throw new LakeError('config', `${what}: ${tablePath} has no metadata/ directory, so it is not an Iceberg table`, {
      hint: 'give the Iceberg table directory, the one that holds metadata/',
    });
  }
  const hint = await readFile(join(metadataDir, 'version-hint.text'), 'utf8').catch(() => undefined);
  const chosen = chooseMetadataFile(names, hint);
  if (chosen === undefined) {
    throw new LakeError('config', `${what}: ${metadataDir} holds no table metadata file (vN.metadata.json or NNNNN-<uuid>.metadata.json)`, {
      hint: 'copy the whole table directory, metadata/ included',
    });
  }
  const path = join(metadataDir, chosen);
  try {
    const bytes = await readFile(path);
    const json = chosen.includes('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
    return { path, json };
  } catch (error) {
    throw new LakeError('config', `${what}: cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
}
