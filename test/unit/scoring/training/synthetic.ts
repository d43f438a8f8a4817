/** Small seeded synthetic classification problems shared by the training tests. */
import { createRng } from '../../../../src/source/populate/prng.ts';

/** Row-major features and 0/1 labels. */
export interface Problem {
  x: Float32Array;
  y: Uint8Array;
  featureCount: number;
}

/** Uniform features in [-1, 1); labels from `label(row)` with `noise` of them flipped. */
export function makeProblem(
  rows: number,
  featureCount: number,
  seed: number,
  label: (row: Float32Array) => boolean,
  noise = 0,
): Problem {
  const rng = createRng(seed);
  const x = new Float32Array(rows * featureCount);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * featureCount, (r + 1) * featureCount);
    for (let f = 0; f < featureCount; f++) row[f] = rng.next() * 2 - 1;
    const flip = rng.next() < noise;
    y[r] = label(row) !== flip ? 1 : 0;
  }
  return { x, y, featureCount };
}

/** Share of rows where (probability > 0.5) equals the label. */
export function accuracy(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if ((probabilities[i]! > 0.5 ? 1 : 0) === labels[i]) hits++;
  return hits / labels.length;
}
