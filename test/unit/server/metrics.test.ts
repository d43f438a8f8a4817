import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/server/metrics.ts';

/** Distinct values of `label` in the exposition of metric `name`. */
async function labelValues(metrics: ReturnType<typeof createMetrics>, name: string, label: string): Promise<Set<string>> {
  const text = await metrics.registry.metrics();
  const values = new Set<string>();
  const pattern = new RegExp(`^${name}\\{[^}]*${label}="([^"]*)"`, 'gm');
  for (const match of text.matchAll(pattern)) values.add(match[1]!);
  return values;
}

describe('metric labels from outside have bounded cardinality', () => {
  it('model file names of rejected models: at most 50 distinct values, the rest as "other"', async () => {
    const metrics = createMetrics();
    for (let i = 0; i < 500; i++) metrics.modelsRejected.inc({ file: `upload-${i}.onnx` });
    const values = await labelValues(metrics, 'invoice_lake_models_rejected_total', 'file');
    expect(values.size).toBe(51);
    expect(values).toContain('upload-0.onnx');
    expect(values).toContain('other');
    expect(values).not.toContain('upload-499.onnx');
  });

  it('a value already seen keeps its own series after the cap is reached', async () => {
    const metrics = createMetrics();
    for (let i = 0; i < 60; i++) metrics.inferenceFailures.inc({ model: `m@${i}` });
    metrics.inferenceFailures.inc({ model: 'm@0' });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/invoice_lake_inference_failures_total\{model="m@0"\} 2/);
    expect(text).toMatch(/invoice_lake_inference_failures_total\{model="other"\} 10/);
  });

  it('model labels of inference failures are capped too', async () => {
    const metrics = createMetrics();
    for (let i = 0; i < 300; i++) metrics.inferenceFailures.inc({ model: `risk@${i}#abc` });
    expect((await labelValues(metrics, 'invoice_lake_inference_failures_total', 'model')).size).toBe(51);
  });

  it('the active model gauge keeps one series: the model active now', async () => {
    const metrics = createMetrics();
    for (let i = 0; i < 100; i++) metrics.activeModel.set({ model: `risk@${i}#abc` }, 1000 + i);
    expect([...(await labelValues(metrics, 'invoice_lake_active_model_since_seconds', 'model'))]).toEqual(['risk@99#abc']);
  });

  it('quarantine reasons are counted by a fixed set of classes, not by their free text', async () => {
    const metrics = createMetrics();
    const reasons = [
      'issue_date: timestamp 294250-01-01 00:00:00+00 is beyond what a 64-bit microsecond timestamp holds (…)',
      'issue_date: timestamp infinity is infinite; the lake holds …',
      'issue_date: BC timestamp 0044-03-15 12:00:00+00 BC is not supported; the lake holds …',
      'amount: decimal 1.005 has more than 2 fractional digits',
      ...Array.from({ length: 200 }, (_, i) => `amount: decimal ${1e12 + i} does not fit decimal(14, 2)`),
      'invoice_id: integer out of 64-bit range: 9223372036854775808',
      'amount is null',
      'source table lacks column(s) amount',
      'something nobody foresaw',
    ];
    for (const reason of reasons) metrics.quarantined.inc({ reason });
    metrics.quarantined.inc();
    const classes = await labelValues(metrics, 'invoice_lake_rows_quarantined_total', 'reason');
    expect([...classes].sort()).toEqual(
      ['decimal_out_of_range', 'decimal_scale', 'integer_out_of_range', 'missing_column', 'null_value', 'other', 'timestamp_bc', 'timestamp_infinite', 'timestamp_out_of_range', 'unknown'].sort(),
    );
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/invoice_lake_rows_quarantined_total\{reason="decimal_out_of_range"\} 200/);
  });

  it('table names are capped like any other outside value', async () => {
    const metrics = createMetrics();
    metrics.rowsCommitted.inc({ table: 'invoices' }, 5);
    for (let i = 0; i < 80; i++) metrics.rowsCommitted.inc({ table: `t${i}` }, 1);
    expect((await labelValues(metrics, 'invoice_lake_rows_committed_total', 'table')).size).toBe(51);
    expect(await metrics.registry.metrics()).toMatch(/invoice_lake_rows_committed_total\{table="invoices"\} 5/);
  });

  it('has the model-files-missing gauge, 0 until set', async () => {
    const metrics = createMetrics();
    expect(await metrics.registry.metrics()).toMatch(/^invoice_lake_model_files_missing 0$/m);
    metrics.modelFilesMissing.set(1);
    expect(await metrics.registry.metrics()).toMatch(/^invoice_lake_model_files_missing 1$/m);
  });
});
