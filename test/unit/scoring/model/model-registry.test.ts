import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../../src/scoring/model/model-registry.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../../../src/scoring/features/feature-names.ts';
import { exportLinearModel } from '../../../../src/scoring/training/onnx-export.ts';
import { createLogger } from '../../../../src/log/logger.ts';
import { linearModel, writeModel } from '../../../support/models.ts';

describe('ModelRegistry', () => {
  let directory: string;
  let registry: ModelRegistry;
  let rejected: Array<{ file: string; reason: string }>;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'invoice-lake-models-'));
    rejected = [];
    registry = new ModelRegistry({ logger: createLogger('fatal'), events: { onRejected: (file, reason) => rejected.push({ file, reason }) } }, { directory });
  });
  afterEach(async () => {
    await registry.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('has no active model in an empty directory', async () => {
    const models = await registry.open({ watch: false });
    expect(models.active).toBeUndefined();
  });

  it('activates the valid model whose file name sorts last (natural order) and labels it name@version#sha', async () => {
    await writeModel(directory, 'risk-v9.onnx', linearModel({ version: '9' }));
    await writeModel(directory, 'risk-v10.onnx', linearModel({ version: '10' }));
    const models = await registry.open({ watch: false });
    expect(models.active?.version).toBe('10');
    expect(models.active?.label).toMatch(/^test-linear@10#[0-9a-f]{12}$/);
  });

  it('scores in [0, 1] matching the linear formula', async () => {
    await writeModel(directory, 'a.onnx', linearModel({ version: '1', slope: 2, bias: -3 }));
    const { active } = await registry.open({ watch: false });
    const features = new Float32Array(2 * FEATURE_COUNT);
    const at = FEATURE_NAMES.indexOf('log_amount');
    features[at] = 1;
    features[FEATURE_COUNT + at] = 2;
    const scores = await active!.score(features, 2);
    expect(scores[0]).toBeCloseTo(1 / (1 + Math.exp(1)), 6);
    expect(scores[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
  });

  it('keeps the previous model serving when a newer file is corrupt, has the wrong width, or returns NaN', async () => {
    await writeModel(directory, 'risk-1.onnx', linearModel({ version: '1' }));
    await registry.open({ watch: false });
    await writeFile(join(directory, 'risk-2.onnx'), Buffer.from('this is not a protobuf model at all'));
    const narrow = exportLinearModel(new Array(FEATURE_COUNT - 1).fill(0.1), 0, {
      modelName: 'narrow',
      modelVersion: '3',
      featureNames: FEATURE_NAMES.slice(0, FEATURE_COUNT - 1),
    });
    await writeModel(directory, 'risk-3.onnx', narrow);
    await writeModel(directory, 'risk-4.onnx', linearModel({ version: '4', weights: new Array(FEATURE_COUNT).fill(Number.NaN) }));
    await registry.refreshNow();
    expect(registry.current.active?.version).toBe('1');
    expect(rejected.map((r) => r.file).sort()).toEqual(['risk-2.onnx', 'risk-3.onnx', 'risk-4.onnx']);
    expect(rejected.find((r) => r.file === 'risk-2.onnx')!.reason).toMatch(/not an ONNX model|ONNX Runtime cannot load/);
    expect(rejected.find((r) => r.file === 'risk-3.onnx')!.reason).toMatch(/features/);
    expect(rejected.find((r) => r.file === 'risk-4.onnx')!.reason).toMatch(/NaN/);
  });

  it('switches to a newly dropped model only when refreshed, and loads *.shadow.onnx as challengers', async () => {
    await writeModel(directory, 'risk-1.onnx', linearModel({ version: '1' }));
    await registry.open({ watch: false });
    await writeModel(directory, 'risk-2.onnx', linearModel({ version: '2' }));
    await writeModel(directory, 'challenger.shadow.onnx', linearModel({ name: 'challenger', version: '7' }));
    expect(registry.current.active?.version).toBe('1');
    await registry.refreshNow();
    expect(registry.current.active?.version).toBe('2');
    expect(registry.current.shadows.map((model) => model.label)).toEqual([expect.stringMatching(/^challenger@7#/)]);
  });
});
