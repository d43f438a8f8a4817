import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isLakeError, messageOf } from '../errors/lake-error.ts';
import { redactText } from '../config/redact.ts';
import { secretSettingValues } from '../config/secret-values.ts';
import { createLogger } from '../log/logger.ts';
import { BATCH_SETTINGS, JOB_SETTINGS, LAKE_SETTINGS, SCORING_SETTINGS, SOURCE_SETTINGS, settingsFrom, withSettings } from './settings-flags.ts';
import type { OutputFormat } from '../query/result-format.ts';
import { ignoreBrokenPipes } from './broken-pipe.ts';

// First, before any command writes: a reader that goes away (`| head`) must not kill a command halfway.
ignoreBrokenPipes();

// Each command's module is imported when that command runs: loading all of them
// (DuckDB, ONNX Runtime, the AWS SDK, the pipeline) through tsx cost about 1.5 s
// before any command, `--help` included, could start.

const program = new Command('invoice-lake')
  .description('Stream PostgreSQL invoices into an Apache Iceberg v2 lake, queried with DuckDB.')
  .option('--verbose', 'print stack traces and causes of errors')
  .showHelpAfterError()
  .exitOverride();

const print = (line: string) => process.stdout.write(`${line}\n`);

withSettings(program.command('setup').description('create the publication, replication slot, catalog tables and lake tables (idempotent)'), [
  ...SOURCE_SETTINGS,
  ...LAKE_SETTINGS,
]).action(async (options) => (await import('./setup-command.ts')).setupCommand(settingsFrom(options), print));

withSettings(
  program
    .command('populate')
    .description('fill the source tables with realistic synthetic invoices (COPY)')
    .requiredOption('--customers <n>', 'customers to have', positiveInteger)
    .requiredOption('--invoices <n>', 'invoices to add', positiveInteger)
    .option('--months <k>', 'spread the invoices over the last K months', positiveInteger, 12)
    .option('--seed <n>', 'random seed (same seed, same data)', positiveInteger, 42),
  ['databaseUrl'],
).action(async (options) => (await import('./populate-command.ts')).populateCommand(settingsFrom(options), options, print));

withSettings(
  program
    .command('run')
    .description('stream changes into the lake until SIGTERM/SIGINT')
    .option('--once', 'drain the slot up to the WAL position at start, commit, acknowledge and exit')
    .option('--standby', 'wait while another process streams the slot and take over when it stops (a plain run exits 2)'),
  [...SOURCE_SETTINGS, ...LAKE_SETTINGS, ...BATCH_SETTINGS, ...SCORING_SETTINGS, ...JOB_SETTINGS, 'httpPort', 'logLevel'],
).action(async (options) => {
  const settings = settingsFrom(options);
  const { runCommand } = await import('./run-command.ts');
  const totals = await runCommand({ logger: createLogger(settings.logLevel ?? 'info', { settings }) }, settings, { once: Boolean(options.once), standby: Boolean(options.standby) });
  const rows = Object.entries(totals.rows).map(([table, count]) => `${table} +${count}`).join(', ') || 'no new rows';
  print(`committed ${totals.commits} batch(es): ${rows} in ${(totals.elapsedMs / 1000).toFixed(1)} s`);
});

withSettings(
  program
    .command('query')
    .description('run DuckDB SQL where each lake table and each source (sources file, --source) is a view of the same name')
    .argument('<sql>', 'the SQL to run')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .option('--source <NAME=KIND:PATH>', 'also a view NAME over files (repeatable; KIND: csv, json, ndjson, parquet, text, iceberg); replaces a sources-file entry of that name', collect, []),
  [...LAKE_SETTINGS, 'databaseUrl', 'sourcesFile', 'queryAllowWrites'],
).action(async (sql: string, options) =>
  (await import('./query-command.ts')).queryCommand(settingsFrom(options), sql, options.format as OutputFormat, (text) => process.stdout.write(text), options.source as string[], program.opts().verbose ? (line) => process.stderr.write(`${line}\n`) : undefined),
);

withSettings(
  program
    .command('invoice')
    .description('one invoice by id from the lake, with its risk score and model (use case 1)')
    .argument('<id>', 'invoice_id')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table')),
  [...LAKE_SETTINGS, 'databaseUrl'],
).action(async (id: string, options) => (await import('./invoice-command.ts')).invoiceCommand(settingsFrom(options), id, options.format, (text) => process.stdout.write(text)));

withSettings(
  program
    .command('customer')
    .description("a customer's invoices sent and received per UTC month over the last N months (use case 2)")
    .argument('<id>', 'customer id (issuer_id / receiver_id)')
    .option('--months <n>', 'the current UTC month and the N-1 before it', positiveInteger, 3)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table')),
  [...LAKE_SETTINGS, 'databaseUrl'],
).action(async (id: string, options) => (await import('./customer-command.ts')).customerCommand(settingsFrom(options), id, { months: options.months, format: options.format }, (text) => process.stdout.write(text)));

const jobs = program.command('jobs').description('the SQL jobs in the jobs directory (see "Jobs" in the README)');
const JOBS_COMMAND_SETTINGS = [...LAKE_SETTINGS, 'databaseUrl', 'jobsDir', 'sourcesFile', 'jobTimeoutMs', 'jobMemoryLimitMb'] as const;
const jobsOutput = { write: (text: string) => process.stdout.write(text), warn: (text: string) => process.stderr.write(`${text}\n`) };
const jobsFormat = () => new Option('--format <format>', 'output format').choices(['table', 'json']).default('table');

withSettings(jobs.command('list').description('load and check every job file; exits 2 when one is rejected').addOption(jobsFormat()), JOBS_COMMAND_SETTINGS).action(
  async (options) => (await import('./jobs-command.ts')).jobsListCommand(settingsFrom(options), options.format, jobsOutput),
);

withSettings(
  jobs.command('run').description('run one job now and record it in job_runs (an on-commit job processes what is new since its last run)').argument('<name>', 'job name (its file name without .sql)').addOption(jobsFormat()),
  JOBS_COMMAND_SETTINGS,
).action(async (name: string, options) => void (await (await import('./jobs-command.ts')).jobsRunCommand(settingsFrom(options), name, options.format, jobsOutput)));

withSettings(
  jobs
    .command('history')
    .description('latest job runs from the job_runs lake table, newest first')
    .argument('[name]', 'only this job')
    .option('--limit <n>', 'runs to show', positiveInteger, 20)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table')),
  [...LAKE_SETTINGS, 'databaseUrl'],
).action(async (name: string | undefined, options) => (await import('./jobs-command.ts')).jobsHistoryCommand(settingsFrom(options), name, { limit: options.limit, format: options.format }, jobsOutput));

withSettings(
  program.command('status').description('slot lag, last lake commit and its LSN, row counts').option('--json', 'print JSON'),
  [...SOURCE_SETTINGS, ...LAKE_SETTINGS],
).action(async (options) => void (await (await import('./status-command.ts')).statusCommand(settingsFrom(options), { json: Boolean(options.json) }, (text) => process.stdout.write(text))));

withSettings(
  program
    .command('train')
    .description('train the risk model on labelled synthetic invoices and write it to the models directory as ONNX')
    .option('--invoices <n>', 'labelled invoices to generate', positiveInteger, 300_000)
    .option('--customers <n>', 'customers in the synthetic population', positiveInteger, 5_000)
    .option('--months <k>', 'months of history', positiveInteger, 6)
    .option('--seed <n>', 'random seed (same seed, same model)', positiveInteger, 7)
    .option('--name <name>', 'model name', 'invoice-risk')
    .option('--version <version>', 'model version (default: gbt-s<seed>-n<invoices>)'),
  ['modelsDir'],
).action(async (options) => (await import('./train-command.ts')).trainCommand(settingsFrom(options), options, print));

withSettings(
  program
    .command('demo')
    .description('zero-config demo (npm start): embedded PostgreSQL, demo data, live traffic, streaming into ./lake')
    .option('--customers <n>', 'demo customers', positiveInteger, 2000)
    .option('--invoices <n>', 'demo invoices', positiveInteger, 200_000)
    .option('--rate <n>', 'live invoices per second', positiveInteger, 50)
    .option('--data-dir <path>', 'embedded PostgreSQL data and state', './.invoice-lake'),
  [...LAKE_SETTINGS, ...BATCH_SETTINGS, ...SCORING_SETTINGS, ...JOB_SETTINGS, 'databaseUrl', 'httpPort', 'logLevel'],
).action(async (options) => (await import('./demo-command.ts')).demoCommand(settingsFrom(options), options));

/** Commander accumulator for a repeatable option. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`expected a positive whole number, got ${value}`);
  return Number(value);
}

async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    const secrets = secretSettingValues({ env: process.env, argv });
    const message = redactText(messageOf(error), secrets);
    process.stderr.write(`error: ${message}\n`);
    if (isLakeError(error) && error.hint) process.stderr.write(`hint: ${redactText(error.hint, secrets)}\n`);
    if (verbose && error instanceof Error) process.stderr.write(`${redactText(String(error.stack), secrets)}\n${error.cause ? `cause: ${redactText(String((error.cause as Error).stack ?? error.cause), secrets)}\n` : ''}`);
    return isLakeError(error) ? error.exitCode : 1;
  }
}

const exitCode = await main(process.argv);
// Exit explicitly (pools and DuckDB would keep the loop alive), but only after
// stdout drained: a large result written to a pipe is flushed asynchronously.
process.stdout.write('', () => process.exit(exitCode));
