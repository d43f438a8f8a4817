import type { Catalog, TableIdentifier } from './catalog.ts';
import { metadataVersion } from './catalog.ts';
import type { LakeStorage } from '../storage/lake-storage.ts';

/**
 * A catalog with no database: the current version is `metadata/version-hint.text`
 * and a commit is the exclusive creation of `metadata/v<N+1>.metadata.json`
 * (the Hadoop convention). Exclusive creation is atomic on local disk, so two
 * writers cannot both commit version N+1. Tables are found by listing the
 * lake root.
 */
export class FilesystemCatalog implements Catalog {
  readonly description: string;
  readonly maintainsVersionHint = true;
  readonly #storage: LakeStorage;

  constructor(storage: LakeStorage) {
    this.#storage = storage;
    this.description = `filesystem catalog at ${storage.root}`;
  }

  async initialize(): Promise<void> {
    await this.#storage.checkWritable();
  }

  async currentMetadataLocation(table: TableIdentifier): Promise<string | undefined> {
    const hint = await this.#storage.readIfExists(`${table.name}/metadata/version-hint.text`);
    if (!hint) return undefined;
    const version = Number.parseInt(hint.toString('utf8').trim(), 10);
    if (!Number.isInteger(version)) return undefined;
    return this.#storage.uri(`${table.name}/metadata/v${version}.metadata.json`);
  }

  async create(table: TableIdentifier, metadataLocation: string): Promise<boolean> {
    return (await this.#install(table, metadataLocation)) !== undefined;
  }

  async commit(table: TableIdentifier, expected: string, next: string): Promise<string | undefined> {
    if ((await this.currentMetadataLocation(table)) !== expected) return undefined;
    return this.#install(table, next, metadataVersion(expected) + 1);
  }

  async listTables(): Promise<string[]> {
    const entries = await this.#storage.list('');
    const tables: string[] = [];
    for (const entry of entries) {
      if (await this.#storage.readIfExists(`${entry}/metadata/version-hint.text`)) tables.push(entry);
    }
    return tables.sort();
  }

  async close(): Promise<void> {}

  async #install(table: TableIdentifier, source: string, version = 1): Promise<string | undefined> {
    const bytes = await this.#storage.read(source);
    const path = `${table.name}/metadata/v${version}.metadata.json`;
    if (!(await this.#storage.createExclusive(path, bytes))) return undefined;
    await this.#storage.write(`${table.name}/metadata/version-hint.text`, Buffer.from(String(version)));
    return this.#storage.uri(path);
  }
}
