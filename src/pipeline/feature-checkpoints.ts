import { randomUUID } from 'node:crypto';
import type { LakeStorage } from '../storage/lake-storage.ts';
import { FeatureExtractor } from '../scoring/features/feature-extractor.ts';
import { encodeFeatureImage, featureStateImage, type FeatureStateImage } from '../scoring/features/feature-checkpoint.ts';
import type { LakeWriter } from './lake-writer.ts';
import type { CommitCheckpoint, CommitPreparation } from './stream-runner.ts';

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
  readonly #encode: (image: FeatureStateImage) => Promise<Uint8Array>;
  readonly #written: string[] = [];

  /** `encode` may run elsewhere (the encoder thread); by default it runs inline. */
  constructor(deps: { storage: LakeStorage; extractor: FeatureExtractor; encode?: (image: FeatureStateImage) => Promise<Uint8Array> }) {
    this.#storage = deps.storage;
    this.#extractor = deps.extractor;
    this.#encode = deps.encode ?? (async (image) => encodeFeatureImage(image));
  }

  /** The extractor matching the `invoices` table's current snapshot (empty for a new lake). */
  static async restore(storage: LakeStorage, writer: LakeWriter): Promise<FeatureExtractor> {
    const location = writer.summaryValue('invoices', FEATURE_STATE_KEY);
    if (!location) return new FeatureExtractor();
    const bytes = await storage.read(storage.relativePath(location) ?? location);
    return FeatureExtractor.restore(bytes);
  }

  /** Copies the state now (the commit boundary); encoding and writing it happen while the stream goes on. */
  beforeCommit(writer: LakeWriter): CommitPreparation {
    if (!writer.hasPending('invoices')) return { summary: {} };
    const path = `invoices/state/features-${Date.now()}-${randomUUID()}.bin`;
    const image = featureStateImage(this.#extractor.state, { copy: true });
    const ready = this.#encode(image).then((bytes) => this.#storage.write(path, bytes));
    ready.catch(() => undefined); // the commit awaits it; a discarded commit's failure is moot
    this.#written.push(path);
    return { summary: { invoices: { [FEATURE_STATE_KEY]: this.#storage.uri(path) } }, ready };
  }

  async afterCommit(): Promise<void> {
    while (this.#written.length > KEEP_PREVIOUS + 1) {
      const old = this.#written.shift()!;
      await this.#storage.delete(old).catch(() => undefined);
    }
  }
}
