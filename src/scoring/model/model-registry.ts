import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, ModelRejected, type LoadedModel } from './onnx-model.ts';
import { DEFAULT_MODEL_MAX_BYTES, MODEL_MAX_BYTES_SETTING, oversizeReason } from './model-file.ts';
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
  /**
   * The active model lost its last valid file (true: it keeps scoring from
   * memory) or a valid file is back (false). Called on each change only.
   */
  onFilesMissingChanged?(missing: boolean, active: LoadedModel | undefined): void;
}

/** What /healthz can show about scoring. */
export interface ModelHealth {
  /** Label of the model scoring invoices, null when none. */
  activeModel: string | null;
  /** True while the directory holds no valid active model file and the last loaded one keeps scoring. */
  modelFilesMissing: boolean;
  /** ISO time the files went missing, null when they are there. */
  modelFilesMissingSince: string | null;
  modelsDirectory: string;
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
 *
 * When no valid active file is left (all deleted, or the only one replaced by
 * a broken file), the last active model keeps scoring from memory rather than
 * the stream going on unscored: `run` refuses to start without a model, so
 * silently losing it while running would be worse. That state is logged once
 * as a warning, reported through `onFilesMissingChanged` and `health()`, and
 * ends when a valid file appears. Files above `maxBytes` are refused from
 * `stat`, unread.
 */
export class ModelRegistry {
  readonly #directory: string;
  readonly #maxBytes: number;
  readonly #logger: Logger;
  readonly #events: RegistryEvents;
  /** file name → what was loaded (or why not) for that exact size and mtime. */
  readonly #files = new Map<string, { stamp: string; model?: LoadedModel; rejected?: string }>();
  #current: ModelSet = { active: undefined, shadows: [] };
  /** Since when the active model has no valid file (it scores from memory). */
  #filesMissingSince: Date | undefined;
  #dirty = true;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;

  constructor(deps: { logger: Logger; events?: RegistryEvents }, options: { directory: string; maxBytes?: number }) {
    this.#directory = options.directory;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MODEL_MAX_BYTES;
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
    // Released only after the new selection: the active one may have to keep scoring.
    const replaced: LoadedModel[] = [];
    for (const name of [...this.#files.keys()]) {
      if (!names.includes(name)) {
        const model = this.#files.get(name)?.model;
        if (model) replaced.push(model);
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
      if (known?.model) replaced.push(known.model);
      const tooLarge = oversizeReason(name, info.size, this.#maxBytes);
      if (tooLarge) {
        this.#files.set(name, { stamp, rejected: tooLarge });
        this.#logger.error(
          { file: name, bytes: info.size, maxBytes: this.#maxBytes, setting: MODEL_MAX_BYTES_SETTING, reason: tooLarge },
          'model file too large; not read, the previous model keeps serving',
        );
        this.#events.onRejected?.(name, tooLarge);
        continue;
      }
      try {
        const model = await loadModel(path, name.endsWith('.shadow.onnx') ? 'shadow' : 'active', { maxBytes: this.#maxBytes });
        this.#files.set(name, { stamp, model });
        this.#logger.info({ file: name, model: model.label, role: model.role }, 'model loaded');
      } catch (error) {
        const reason = error instanceof ModelRejected ? error.message : `${name}: ${(error as Error).message}`;
        this.#files.set(name, { stamp, rejected: reason });
        this.#logger.error({ file: name, reason }, 'model rejected; the previous model keeps serving');
        this.#events.onRejected?.(name, reason);
      }
    }
    const before = this.#current.active;
    this.#select();
    // A model kept scoring without its file is released once another takes over.
    if (before) replaced.push(before);
    const inUse = new Set([this.#current.active, ...[...this.#files.values()].map((entry) => entry.model)]);
    for (const model of new Set(replaced)) if (!inUse.has(model)) await model.release().catch(() => undefined);
    return this.#current;
  }

  /** Scoring state for /healthz. */
  health(): ModelHealth {
    return {
      activeModel: this.#current.active?.label ?? null,
      modelFilesMissing: this.#filesMissingSince !== undefined,
      modelFilesMissingSince: this.#filesMissingSince?.toISOString() ?? null,
      modelsDirectory: this.#directory,
    };
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
    const models = new Set([...this.#files.values()].map((entry) => entry.model));
    models.add(this.#current.active); // it may be serving without a file
    for (const model of models) await model?.release().catch(() => undefined);
    this.#files.clear();
    this.#current = { active: undefined, shadows: [] };
  }

  #select(): void {
    const valid = [...this.#files.entries()]
      .filter((entry): entry is [string, { stamp: string; model: LoadedModel }] => entry[1].model !== undefined)
      .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
    const candidates = valid.filter(([, entry]) => entry.model.role === 'active');
    const previous = this.#current.active;
    // A rejected newer file leaves `candidates` unchanged, so the previous model stays active;
    // no candidate at all keeps the previous one scoring from memory (see the class comment).
    const newest = candidates.at(-1)?.[1].model;
    const active = newest ?? previous;
    this.#current = { active, shadows: valid.filter(([, entry]) => entry.model.role === 'shadow').map(([, entry]) => entry.model) };
    if (active && active !== previous) {
      if (previous) this.#logger.info({ model: active.label, previous: previous.label }, 'active model switched');
      else this.#logger.info({ model: active.label }, 'active model');
      this.#events.onActivated?.(active, previous);
    }
    this.#noteFilesMissing(active !== undefined && newest === undefined);
  }

  /** One log line and one event per change of state, not one per refresh. */
  #noteFilesMissing(missing: boolean): void {
    if (missing === (this.#filesMissingSince !== undefined)) return;
    const model = this.#current.active;
    if (missing) {
      this.#filesMissingSince = new Date();
      this.#logger.warn(
        { directory: this.#directory, model: model?.label },
        'no model file left in the models directory (none, or none valid); the daemon keeps scoring with the last loaded model until a valid one is added',
      );
    } else {
      this.#filesMissingSince = undefined;
      this.#logger.info({ directory: this.#directory, model: model?.label }, 'a valid model file is back in the models directory');
    }
    this.#events.onFilesMissingChanged?.(missing, model);
  }
}

async function listModelFiles(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).filter((name) => name.endsWith('.onnx') && !name.startsWith('.'));
  } catch {
    return [];
  }
}
