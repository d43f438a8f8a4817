import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, ModelRejected, type LoadedModel } from './onnx-model.ts';
import type { Logger } from '../../log/logger.ts';

export interface ModelSet {
  /** Scores every invoice and decides alerts; undefined = no valid model. */
  active: LoadedModel | undefined;
  /** `*.shadow.onnx` challengers: scored alongside, recorded, never alerting. */
  shadows: LoadedModel[];
}

export interface RegistryEvents {
  onRejected?(file: string, reason: string): void;
  onActivated?(model: LoadedModel, previous: LoadedModel | undefined): void;
}

/**
 * The models in `models/`, hot-swappable by dropping files.
 *
 * Which file is active is deterministic: among the valid `*.onnx` files that
 * are not `*.shadow.onnx`, the one whose name sorts last in natural order
 * (`risk-v10.onnx` after `risk-v9.onnx`). A file that fails validation is
 * rejected with its reason and the previous model keeps serving. Changes
 * are noticed by a directory watch (and a poll, for file systems without
 * events) but applied only when the pipeline calls `refresh()` at a batch
 * boundary, so one transaction is never scored by two models.
 */
export class ModelRegistry {
  readonly #directory: string;
  readonly #logger: Logger;
  readonly #events: RegistryEvents;
  /** file name → what was loaded (or why not) for that exact size and mtime. */
  readonly #files = new Map<string, { stamp: string; model?: LoadedModel; rejected?: string }>();
  #current: ModelSet = { active: undefined, shadows: [] };
  #dirty = true;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;

  constructor(deps: { logger: Logger; events?: RegistryEvents }, options: { directory: string }) {
    this.#directory = options.directory;
    this.#logger = deps.logger;
    this.#events = deps.events ?? {};
  }

  /** Loads what is there now and starts watching for changes. */
  async open(options: { watch: boolean }): Promise<ModelSet> {
    await this.refresh();
    if (options.watch) {
      try {
        this.#watcher = watch(this.#directory, () => (this.#dirty = true));
        this.#watcher.on('error', () => undefined);
      } catch {
        // no directory yet: the poll picks it up once it exists
      }
      this.#poll = setInterval(() => (this.#dirty = true), 2000);
      this.#poll.unref();
    }
    return this.#current;
  }

  get current(): ModelSet {
    return this.#current;
  }

  /** Applies file changes seen since the last call; cheap when nothing changed. */
  async refresh(): Promise<ModelSet> {
    if (!this.#dirty) return this.#current;
    this.#dirty = false;
    const names = await listModelFiles(this.#directory);
    for (const name of [...this.#files.keys()]) {
      if (!names.includes(name)) {
        await this.#files.get(name)?.model?.release().catch(() => undefined);
        this.#files.delete(name);
      }
    }
    for (const name of names) {
      const path = join(this.#directory, name);
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      const stamp = `${info.size}:${info.mtimeMs}`;
      const known = this.#files.get(name);
      if (known?.stamp === stamp) continue;
      await known?.model?.release().catch(() => undefined);
      try {
        const model = await loadModel(path, name.endsWith('.shadow.onnx') ? 'shadow' : 'active');
        this.#files.set(name, { stamp, model });
        this.#logger.info({ file: name, model: model.label, role: model.role }, 'model loaded');
      } catch (error) {
        const reason = error instanceof ModelRejected ? error.message : `${name}: ${(error as Error).message}`;
        this.#files.set(name, { stamp, rejected: reason });
        this.#logger.error({ file: name, reason }, 'model rejected; the previous model keeps serving');
        this.#events.onRejected?.(name, reason);
      }
    }
    this.#select();
    return this.#current;
  }

  /**
   * True when files changed since the last `refresh()` (without loading them).
   * Cheap: a directory listing and a stat per model, only after a change was noticed.
   */
  async hasChanges(): Promise<boolean> {
    if (!this.#dirty) return false;
    const names = await listModelFiles(this.#directory);
    if (names.length !== this.#files.size) return true;
    for (const name of names) {
      const info = await stat(join(this.#directory, name)).catch(() => undefined);
      if (!info || this.#files.get(name)?.stamp !== `${info.size}:${info.mtimeMs}`) return true;
    }
    this.#dirty = false;
    return false;
  }

  /** Rescans now, whether or not a change was noticed (tests, and the CLI's status). */
  async refreshNow(): Promise<ModelSet> {
    this.#dirty = true;
    return this.refresh();
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    clearInterval(this.#poll);
    for (const entry of this.#files.values()) await entry.model?.release().catch(() => undefined);
    this.#files.clear();
  }

  #select(): void {
    const valid = [...this.#files.entries()]
      .filter((entry): entry is [string, { stamp: string; model: LoadedModel }] => entry[1].model !== undefined)
      .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
    const candidates = valid.filter(([, entry]) => entry.model.role === 'active');
    const previous = this.#current.active;
    // A rejected newer file leaves `candidates` unchanged, so the previous model stays active.
    const active = candidates.at(-1)?.[1].model;
    this.#current = { active, shadows: valid.filter(([, entry]) => entry.model.role === 'shadow').map(([, entry]) => entry.model) };
    if (active && active !== previous) {
      if (previous) this.#logger.info({ model: active.label, previous: previous.label }, 'active model switched');
      else this.#logger.info({ model: active.label }, 'active model');
      this.#events.onActivated?.(active, previous);
    }
  }
}

async function listModelFiles(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).filter((name) => name.endsWith('.onnx') && !name.startsWith('.'));
  } catch {
    return [];
  }
}
