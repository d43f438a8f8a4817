import type { Settings } from '../config/settings.ts';
import { LakeError } from '../errors/lake-error.ts';
import { openLake } from '../lake/open-lake.ts';
import { LakeQuery } from '../query/lake-query.ts';
import { formatResult } from '../query/result-format.ts';
import { lookUpInvoice } from '../query/use-cases/invoice-lookup.ts';
import { lakeSettings } from './lake-settings.ts';
import { parseId } from './id-argument.ts';

/**
 * `invoice-lake invoice ID`: use case 1, one invoice with its risk score and
 * model, and how many data files answering it took. Not in the lake: exit 1.
 */
export async function invoiceCommand(settings: Settings, id: string, format: 'table' | 'json', write: (text: string) => void): Promise<void> {
  const invoiceId = parseId(id, 'invoice');
  const lake = await openLake(lakeSettings(settings));
  try {
    const session = await LakeQuery.open(lake);
    try {
      const found = await lookUpInvoice(session, invoiceId);
      if (!found.invoice) {
        throw new LakeError('query', `invoice ${invoiceId} is not in the lake (searched ${found.filesRead} of ${found.filesConsidered} data files of invoices)`, {
          hint: 'an invoice reaches the lake with the next commit of `invoice-lake run`; `invoice-lake status` shows the slot lag',
          retryable: false,
        });
      }
      const dataFiles = { read: found.filesRead, considered: found.filesConsidered };
      if (format === 'json') {
        write(`${JSON.stringify({ invoice: found.invoice, dataFiles }, null, 2)}\n`);
        return;
      }
      write(formatResult(['field', 'value'], Object.entries(found.invoice).map(([field, value]) => [field, value]), 'table').replace(/\(\d+ rows?\)\n$/, ''));
      write(`data files: read ${dataFiles.read} of ${dataFiles.considered} (invoice_id bounds and month partitions in the manifests)\n`);
    } finally {
      session.close();
    }
  } finally {
    await lake.close();
  }
}
