import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import ort from 'onnxruntime-node';
import { FEATURE_COUNT } from '../features/feature-names.ts';
import { checkContract, pickScoreOutput, type ContractMeta } from './model-contract.ts';
import { describeOnnxModel } from './onnx-inspect.ts';
import { ModelRejected } from './model-rejected.ts';
import { DEFAULT_MODEL_MAX_BYTES, readModelFile } from './model-file.ts';

export { ModelRejected };

export type ModelRole = 'active' | 'shadow';

/** A validated model, ready to score `[N, F]` float32 feature rows. */
export interface LoadedModel {
  file: string;
  name: string;
  version: string;
  sha256: string;
  /** `name@version#sha256[0..12]`, recorded with every score. */
  label: string;
  role: ModelRole;
  score(features: Float32Array, rows: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * Loads and validates one `.onnx` file: it must parse as ONNX, satisfy the
 * model contract (metadata names the feature order, one float input
 * `[N, F]`, one score output), load in ONNX Runtime, and return finite scores
 * in [0, 1] on a smoke batch. A file above `maxBytes` is refused unread.
 */
export async function loadModel(path: string, role: ModelRole, options: { maxBytes?: number } = {}): Promise<LoadedModel> {
  const bytes = await readModelFile(path, options.maxBytes ?? DEFAULT_MODEL_MAX_BYTES);
  const description = describeOnnx(bytes, path);
  const problems = checkContract(description);
  if (problems.length > 0) throw new ModelRejected(`${basename(path)}: ${problems.join('; ')}`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (error) {
    throw new ModelRejected(`${basename(path)}: ONNX Runtime cannot load it: ${(error as Error).message.split('\n')[0]}`);
  }
  const inputName = session.inputNames[0]!;
  const outputName = pickScoreOutput(description.outputs)!.name;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const name = description.metadata['invoice_lake.model_name'] ?? basename(path).replace(/(\.shadow)?\.onnx$/, '');
  const version = description.metadata['invoice_lake.model_version'] ?? '0';
  const model: LoadedModel = {
    file: path,
    name,
    version,
    sha256,
    label: `${name}@${version}#${sha256.slice(0, 12)}`,
    role,
    async score(features, rows) {
      const input = new ort.Tensor('float32', features.subarray(0, rows * FEATURE_COUNT), [rows, FEATURE_COUNT]);
      const result = await session.run({ [inputName]: input });
      const output = result[outputName]!.data as Float32Array;
      if (output.length !== rows) throw new Error(`model returned ${output.length} scores for ${rows} rows`);
      return output;
    },
    release: () => session.release(),
  };
  await smokeTest(model).catch(async (error: Error) => {
    await session.release().catch(() => undefined);
    throw new ModelRejected(`${basename(path)}: ${error.message}`);
  });
  return model;
}

/** Scores must be finite and within [0, 1] for zeros and for varied rows. */
async function smokeTest(model: LoadedModel): Promise<void> {
  const rows = 16;
  const features = new Float32Array(rows * FEATURE_COUNT);
  for (let i = FEATURE_COUNT; i < features.length; i++) features[i] = ((i * 7919) % 1000) / 10;
  const scores = await model.score(features, rows);
  for (const score of scores) {
    if (!Number.isFinite(score)) throw new Error(`smoke inference returned ${score}`);
    if (score < 0 || score > 1) throw new Error(`smoke inference returned ${score}, outside [0, 1]`);
  }
}

function describeOnnx(bytes: Uint8Array, path: string): ContractMeta {
  try {
    return describeOnnxModel(bytes);
  } catch (error) {
    throw new ModelRejected(`${basename(path)}: not an ONNX model (${(error as Error).message})`);
  }
}
