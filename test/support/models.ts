import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/scoring/features/feature-names.ts';
import { exportLinearModel } from '../../src/scoring/training/onnx-export.ts';

/** A valid linear model whose score depends on log_amount only: sigmoid(slope·log_amount + bias). */
export function linearModel(options: { name?: string; version: string; slope?: number; bias?: number; weights?: number[] }): Uint8Array {
  const weights = options.weights ?? Array.from({ length: FEATURE_COUNT }, (_, i) => (FEATURE_NAMES[i] === 'log_amount' ? (options.slope ?? 1) : 0));
  return exportLinearModel(weights, options.bias ?? 0, { modelName: options.name ?? 'test-linear', modelVersion: options.version });
}

export async function writeModel(directory: string, file: string, bytes: Uint8Array): Promise<string> {
  const path = join(directory, file);
  await writeFile(path, bytes);
  return path;
}
