import { mkdtemp, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import pino from 'pino';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../../src/scoring/model/model-registry.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../../../src/scoring/features/feature-names.ts';
import { exportLinearModel } from '../../../../src/scoring/training/onnx-export.ts';
import { createLogger, type Logger } from '../../../../src/log/logger.ts';
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

/** A logger whose JSON lines are kept for the test to read. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('ModelRegistry when the model files go away', () => {
  let directory: string;
  let registry: ModelRegistry;
  let log: ReturnType<typeof capturingLogger>;
  let states: boolean[];

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'invoice-lake-models-'));
    log = capturingLogger();
    states = [];
    registry = new ModelRegistry({ logger: log.logger, events: { onFilesMissingChanged: (missing) => states.push(missing) } }, { directory });
  });
  afterEach(async () => {
    await registry.close();
    await rm(directory, { recursive: true, force: true });
  });

  const warnings = () => log.lines.filter((line) => line.level === 40);

  it('keeps scoring with the last loaded model, warns once (not per refresh) and reports it until a model is back', async () => {
    await writeModel(directory, 'risk-1.onnx', linearModel({ version: '1' }));
    await registry.open({ watch: false });
    expect(registry.health()).toMatchObject({ modelFilesMissing: false, activeModel: expect.stringMatching(/^test-linear@1#/) });

    await unlink(join(directory, 'risk-1.onnx'));
    for (let i = 0; i < 3; i++) await registry.refreshNow();
    const { active } = registry.current;
    expect(active?.version).toBe('1');
    // still usable: the session was not released with its file
    const scores = await active!.score(new Float32Array(FEATURE_COUNT), 1);
    expect(scores).toHaveLength(1);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ directory, model: active!.label });
    expect(String(warnings()[0]!.msg)).toMatch(/no model file.*keeps scoring with the last loaded model/);
    expect(registry.health()).toMatchObject({ modelFilesMissing: true, activeModel: active!.label, modelsDirectory: directory });
    expect(states).toEqual([true]);

    await writeModel(directory, 'risk-2.onnx', linearModel({ version: '2' }));
    await registry.refreshNow();
    expect(registry.current.active?.version).toBe('2');
    expect(registry.health().modelFilesMissing).toBe(false);
    // the model kept without its file is released once replaced (no leaked ONNX session)
    await expect(active!.score(new Float32Array(FEATURE_COUNT), 1)).rejects.toThrow();
    expect(states).toEqual([true, false]);
    expect(warnings()).toHaveLength(1);
  });

  it('keeps the last model when the only file is replaced by one that fails validation', async () => {
    await writeModel(directory, 'risk-1.onnx', linearModel({ version: '1' }));
    await registry.open({ watch: false });
    await writeFile(join(directory, 'risk-1.onnx'), Buffer.from('truncated upload'));
    await registry.refreshNow();
    expect(registry.current.active?.version).toBe('1');
    expect(registry.health().modelFilesMissing).toBe(true);
    expect(states).toEqual([true]);
    expect(await registry.current.active!.score(new Float32Array(FEATURE_COUNT), 1)).toHaveLength(1);
  });

  it('removing the newest file falls back to the one before it, which is not "missing"', async () => {
    await writeModel(directory, 'risk-1.onnx', linearModel({ version: '1' }));
    await writeModel(directory, 'risk-2.onnx', linearModel({ version: '2' }));
    await registry.open({ watch: false });
    await unlink(join(directory, 'risk-2.onnx'));
    await registry.refreshNow();
    expect(registry.current.active?.version).toBe('1');
    expect(registry.health().modelFilesMissing).toBe(false);
    expect(warnings()).toHaveLength(0);
  });
});

describe('ModelRegistry size bound', () => {
  let directory: string;
  let registry: ModelRegistry | undefined;
  afterEach(async () => {
    await registry?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('rejects a 1.5 GB (sparse) file before reading it, naming its size and MODEL_MAX_BYTES; the current model stays', async () => {
    directory = await mkdtemp(join(tmpdir(), 'invoice-lake-models-'));
    const log = capturingLogger();
    const rejected: Array<{ file: string; reason: string }> = [];
    registry = new ModelRegistry({ logger: log.logger, events: { onRejected: (file, reason) => rejected.push({ file, reason }) } }, { directory });
    await writeModel(directory, 'risk-1.onnx', linearModel({ version: '1' }));
    await registry.open({ watch: false });
    await truncate(join(directory, 'risk-2.onnx'), 1536 * 1024 * 1024).catch(async () => {
      await writeFile(join(directory, 'risk-2.onnx'), '');
      await truncate(join(directory, 'risk-2.onnx'), 1536 * 1024 * 1024);
    });
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    await registry.refreshNow();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
    expect(registry.current.active?.version).toBe('1');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.file).toBe('risk-2.onnx');
    expect(rejected[0]!.reason).toMatch(/1610612736 bytes/);
    expect(rejected[0]!.reason).toContain('MODEL_MAX_BYTES');
    expect(rejected[0]!.reason).toContain(String(256 * 1024 * 1024));
    const line = log.lines.find((entry) => entry.file === 'risk-2.onnx');
    expect(line).toMatchObject({ level: 50, bytes: 1610612736, maxBytes: 256 * 1024 * 1024, setting: 'MODEL_MAX_BYTES' });
    // rejected once, not again at every poll while the file stays as it is
    await registry.refreshNow();
    expect(rejected).toHaveLength(1);
  });

  it('honours a configured bound', async () => {
    directory = await mkdtemp(join(tmpdir(), 'invoice-lake-models-'));
    const rejected: string[] = [];
    registry = new ModelRegistry({ logger: createLogger('fatal'), events: { onRejected: (_file, reason) => rejected.push(reason) } }, { directory, maxBytes: 64 });
    await writeModel(directory, 'risk-1.onnx', linearModel({ version: '1' }));
    const models = await registry.open({ watch: false });
    expect(models.active).toBeUndefined();
    expect(rejected[0]).toMatch(/above MODEL_MAX_BYTES \(64 bytes\)/);
  });
});
