import type { Settings } from '../config/settings.ts';
import { LakeError } from '../errors/lake-error.ts';
import { openLake } from '../lake/open-lake.ts';
import { LakeQuery } from '../query/lake-query.ts';
import { formatResult } from '../query/result-format.ts';
import { customerMonths } from '../query/use-cases/customer-months.ts';
import { lakeSettings } from './lake-settings.ts';
import { parseId } from './id-argument.ts';

/** 100 years: more is a typo, not a question. */
const MAX_MONTHS = 1200;
const COLUMNS = ['month', 'sent_count', 'sent_amount', 'received_count', 'received_amount'] as const;

/**
 * `invoice-lake customer ID --months N`: use case 2, sent and received count
 * and amount per UTC month (every month of the window, zeros included), and
 * which lake table answered.
 */
export async function customerCommand(
  settings: Settings,
  id: string,
  options: { months: number; format: 'table' | 'json' },
  write: (text: string) => void,
): Promise<void> {
  const customerId = parseId(id, 'customer');
  if (options.months > MAX_MONTHS) throw new LakeError('config', `--months must be at most ${MAX_MONTHS}, got ${options.months}`);
  const lake = await openLake(lakeSettings(settings));
  try {
    const session = await LakeQuery.open(lake);
    try {
      const answer = await customerMonths(lake, session, customerId, options.months);
      const dataFiles = { read: answer.filesRead, considered: answer.filesConsidered };
      if (options.format === 'json') {
        const { window } = answer;
        const report = {
          customerId: String(customerId),
          months: answer.rows,
          window: { first: window.months[0], last: window.months.at(-1), start: window.start, end: window.end },
          source: answer.source,
          reason: answer.reason,
          dataFiles,
        };
        write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      write(`customer ${customerId}, last ${options.months} UTC month(s): ${answer.window.months[0]} to ${answer.window.months.at(-1)} (the current month so far)\n`);
      write(formatResult([...COLUMNS], answer.rows.map((row) => COLUMNS.map((column) => row[column])), 'table'));
      write(`from ${answer.source} (${answer.reason}); data files: read ${dataFiles.read} of ${dataFiles.considered}\n`);
    } finally {
      session.close();
    }
  } finally {
    await lake.close();
  }
}
