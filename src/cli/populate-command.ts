import type { Settings } from '../config/settings.ts';
import { requireSetting } from '../config/load-config.ts';
import { connectPostgres } from '../source/source-connection.ts';
import { populate } from '../source/populate/copy-loader.ts';
import { createProgress } from '../source/populate/progress.ts';

/** `invoice-lake populate`: synthetic customers and invoices through COPY, with progress. */
export async function populateCommand(
  settings: Settings,
  options: { customers: number; invoices: number; months: number; seed: number },
  print: (line: string) => void,
): Promise<void> {
  const client = await connectPostgres(requireSetting(settings, 'databaseUrl'), 'source');
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    const result = await populate(client, {
      ...options,
      now: new Date(),
      onProgress(done, total) {
        progress ??= createProgress({ label: 'rows', total });
        progress.update(done);
      },
    });
    progress?.stop();
    if (result.schemaCreated.length > 0) print(`created ${result.schemaCreated.join(', ')}`);
    const seconds = result.elapsedMs / 1000;
    print(
      `added ${result.customersInserted} customers and ${result.invoicesInserted} invoices` +
        (result.firstInvoiceId === null ? '' : ` (ids ${result.firstInvoiceId}..${result.lastInvoiceId})`) +
        ` in ${seconds.toFixed(1)} s (${Math.round(result.invoicesInserted / Math.max(seconds, 0.001))} invoices/s)`,
    );
  } finally {
    progress?.stop();
    await client.end();
  }
}
