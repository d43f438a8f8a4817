import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Settings } from '../config/settings.ts';
import { trainRiskModel } from '../scoring/training/train-risk-model.ts';

export interface TrainCommandOptions {
  invoices: number;
  customers: number;
  months: number;
  seed: number;
  name: string;
  version?: string;
}

/**
 * `invoice-lake train`: trains on labelled synthetic invoices, writes
 * `<models>/<name>-<version>.onnx` plus a JSON report beside it, and prints
 * the held-out AUC and precision at the top 1 %.
 */
export async function trainCommand(settings: Settings, options: TrainCommandOptions, print: (line: string) => void): Promise<void> {
  const version = options.version ?? `gbt-s${options.seed}-n${options.invoices}`;
  print(`generating ${options.invoices} labelled invoices (${options.customers} customers, ${options.months} months, seed ${options.seed}) ...`);
  let lastRound = -1;
  const { onnx, report } = trainRiskModel({
    ...options,
    now: new Date('2026-11-01T00:00:00Z'),
    heldOutFraction: 0.2,
    modelName: options.name,
    modelVersion: version,
    onProgress(stage, detail) {
      if (stage === 'round' && detail.round! % 25 === 0 && detail.round !== lastRound) {
        lastRound = detail.round!;
        print(`  round ${detail.round}: train log-loss ${detail.trainLoss!.toFixed(4)}, held-out ${detail.validLoss!.toFixed(4)}`);
      }
    },
  });
  const directory = resolve(settings.modelsDir ?? './models');
  await mkdir(directory, { recursive: true });
  const file = join(directory, `${options.name}-${version}.onnx`);
  await writeFile(file, onnx);
  await writeFile(file.replace(/\.onnx$/, '.json'), `${JSON.stringify(report, null, 2)}\n`);
  print(`held-out: ${report.heldOutRows} invoices (${report.heldOutPositives} fraudulent), AUC ${report.heldOutAuc.toFixed(4)}, precision at top 1 % ${report.heldOutPrecisionAt1Percent.toFixed(4)}`);
  print(`${report.trees} trees trained in ${(report.trainMs / 1000).toFixed(1)} s on ${report.trainRows} invoices`);
  print(`wrote ${file} (${onnx.length} bytes)`);
}
