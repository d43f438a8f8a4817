import { randomUUID } from 'node:crypto';
import type { LakeStorage } from '../storage/lake-storage.ts';
import { FeatureExtractor } from '../scoring/features/feature-extractor.ts';
import { serializeFeatureState } from '../scoring/features/feature-checkpoint.ts';
import type { LakeWriter } from './lake-writer.ts';
import type { CommitCheckpoint } from './stream-runner.ts';

/** Snapshot summary key of `invoices` naming the feature state that matches its watermark. */
export const FEATURE_STATE_KEY = 'invoice-lake.feature-state';
/** Checkpoints kept besides the newest, for a reader of an older snapshot. */
const KEEP_PREVIOUS = 2;

/**
 * The feature state travels with the `invoices` table: before each commit
 * that adds invoices, the extractor's state (which has seen exactly the
 * invoices of that commit and before) is written as a file and named in the
 * snapshot summary. A restart restores it, so a restarted stream computes
 * the same features as an uninterrupted one.
 */
export class FeatureCheckpoints implements CommitCheckpoint {
  readonly #storage: LakeStorage;
  readonly #extractor: FeatureExtractor;
  readonly #written: string[] = [];

  constructor(deps: { storage: LakeStorage; extractor: FeatureExtractor }) {
    this.#storage = deps.storage;
    this.#extractor = deps.extractor;
  }

  /** The extractor matching the `invoices` table's current snapshot (empty for a new lake). */
  static async restore(storage: LakeStorage, writer: LakeWriter): Promise<FeatureExtractor> {
    const location = writer.summaryValue('invoices', FEATURE_STATE_KEY);
    if (!location) return new FeatureExtractor();
    const bytes = await storage.read(storage.relativePath(location) ?? location);
    return FeatureExtractor.restore(bytes);
  }

  async beforeCommit(writer: LakeWriter): Promise<Record<string, Record<string, string>>> {
    if (!writer.hasPending('invoices')) return {};
    const path = `invoices/state/features-${Date.now()}-${randomUUID()}.bin`;
    await this.#storage.write(path, serializeFeatureState(this.#extractor));
    this.#written.push(path);
    return { invoices: { [FEATURE_STATE_KEY]: this.#storage.uri(path) } };
  }

  async afterCommit(): Promise<void> {
    while (this.#written.length > KEEP_PREVIOUS + 1) {
      const old = this.#written.shift()!;
      await this.#storage.delete(old).catch(() => undefined);
    }
  }
}
