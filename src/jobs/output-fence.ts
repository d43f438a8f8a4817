import { ancestorSummaryValue, type CommitValidation, type LoadedTable } from '../lake/lake-table.ts';

/** Output summary key: the input sequence number an on-commit run read up to. */
export const inputSequenceKey = (table: string) => `invoice-lake.input-sequence.${table}`;

/** The input sequence number the output's current snapshot records as processed (0 before any run). */
export function processedInputSequence(output: LoadedTable, input: string): bigint {
  return BigInt(ancestorSummaryValue(output.metadata, inputSequenceKey(input)) ?? '0');
}

/** Another run of the job committed first, covering (part of) the input this run read: its commit is dropped. */
export class SupersededRun extends Error {
  constructor(input: string, processed: bigint, latest: bigint) {
    super(`another run already processed ${input} up to sequence ${latest} (this run started from ${processed}); its result was not committed`);
    this.name = 'SupersededRun';
  }
}

/**
 * The fence of an on-commit run's output commit: the run read the input
 * delta after sequence `processed`, as recorded in the output it loaded. If
 * the output it lost a compare-and-swap to records another processed
 * sequence, another run (a second `jobs run`, the daemon) already covered
 * that delta; appending as well would duplicate its rows, and a replace
 * would put an older result over a newer one. The commit is abandoned, and
 * the next run starts from the newer state.
 */
export function inputFence(input: string, processed: bigint): CommitValidation {
  return {
    validate(latest) {
      const latestProcessed = processedInputSequence(latest, input);
      if (latestProcessed !== processed) throw new SupersededRun(input, processed, latestProcessed);
    },
  };
}
