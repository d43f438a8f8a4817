import { SETTINGS, type Settings } from '../config/settings.ts';
import { demoHttpPort } from '../demo/demo-http-port.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../demo/embedded-database.ts';
import { startLiveTraffic } from '../demo/live-traffic.ts';
import { connectPostgres } from '../source/source-connection.ts';
import { ensureSourceSchema } from '../source/source-schema.ts';
import { populate } from '../source/populate/copy-loader.ts';
import { createProgress } from '../source/populate/progress.ts';
import { createLogger } from '../log/logger.ts';
import { formatLsn } from '../source/lsn.ts';
import { setupCommand } from './setup-command.ts';
import { runCommand } from './run-command.ts';
import { queryCommand } from './query-command.ts';
import { join } from 'node:path';
import type { RiskAlert } from '../scoring/alerts/risk-alert.ts';
import type { JobRunRecord } from '../jobs/job-runs.ts';
import { messageOf } from '../errors/lake-error.ts';
import { describeRun, runAllJobsOnce } from './jobs-command.ts';

export interface DemoOptions {
  customers: number;
  invoices: number;
  rate: number;
  dataDir: string;
  /** --http-port as given on the command line (commander's attribute), when given. */
  httpPort?: string;
}

const EXAMPLES: Array<{ title: string; sql: string }> = [
  {
    title: 'Top customers by invoiced amount, last 3 months',
    sql: `SELECT issuer_id, count(*) AS invoices, sum(amount) AS total_amount
            FROM invoices WHERE issue_date >= now() - INTERVAL 3 MONTH
           GROUP BY issuer_id ORDER BY total_amount DESC LIMIT 5`,
  },
  { title: 'One invoice by id, with its risk score', sql: `SELECT invoice_id, issue_date, issuer_id, receiver_id, amount, round(risk_score, 4) AS risk_score, risk_model FROM invoices WHERE invoice_id = (SELECT max(invoice_id) FROM invoices)` },
  {
    title: 'Latest risk alerts',
    sql: `SELECT invoice_id, amount, round(score, 4) AS score, model FROM risk_alerts ORDER BY committed_at DESC LIMIT 5`,
  },
  {
    title: 'Totals per month',
    sql: `SELECT strftime(date_trunc('month', issue_date), '%Y-%m') AS month, count(*) AS invoices, sum(amount) AS total_amount
            FROM invoices GROUP BY 1 ORDER BY 1`,
  },
];

/** One result of each shipped job (jobs/), shown when its output table was written. */
const JOB_EXAMPLES: Array<{ output: string; title: string; sql: string }> = [
  {
    output: 'customer_monthly_totals',
    title: 'customer_monthly_totals (job, on every commit): top senders this month',
    sql: `SELECT customer_id, strftime(month, '%Y-%m') AS month, sent_count, sent_amount, received_count, received_amount
            FROM customer_monthly_totals WHERE month = date_trunc('month', now()) ORDER BY sent_amount DESC, customer_id LIMIT 5`,
  },
  {
    output: 'high_risk_daily',
    title: 'high_risk_daily (job, every 10 minutes): the days with the most alerts',
    sql: `SELECT strftime(day, '%Y-%m-%d') AS day, scored, alerts, alert_amount, round(p50_score, 4) AS p50, round(p99_score, 4) AS p99, scores_0_9_and_above
            FROM high_risk_daily ORDER BY alerts DESC, day DESC LIMIT 5`,
  },
  {
    output: 'invoices_enriched',
    title: 'invoices_enriched (job, on every commit): latest invoices to customers whose notes say "payment delayed"',
    sql: `SELECT invoice_id, amount, issuer_name, issuer_sector, receiver_name, receiver_region, over_receiver_credit_limit AS over_limit, round(risk_score, 4) AS risk_score
            FROM invoices_enriched WHERE receiver_payment_delayed = 1 ORDER BY invoice_id DESC LIMIT 5`,
  },
];

/**
 * `npm start`: with no DATABASE_URL, an embedded PostgreSQL with demo data and
 * live traffic; with DATABASE_URL, only setup and streaming (its data is never changed).
 */
export async function demoCommand(settings: Settings, options: DemoOptions): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let database: EmbeddedDatabase | undefined;
  let databaseUrl = settings.databaseUrl;
  if (!databaseUrl) {
    say(`starting the embedded PostgreSQL in ${join(options.dataDir, 'pgdata')} ...`);
    database = await startEmbeddedDatabase({ directory: options.dataDir, database: 'invoices', say });
    databaseUrl = database.url;
  }
  const demoSettings: Settings = { ...settings, databaseUrl };
  try {
    // Schema, then slot, then data: rows loaded after the slot exists stream into the lake.
    if (database) await ensureDemoSchema(databaseUrl);
    await setupCommand(demoSettings, (line) => say(`setup: ${line}`));
    if (database) await seedDemoData(databaseUrl, options, say);
    const traffic = database ? startLiveTraffic(databaseUrl, options.rate) : undefined;
    if (traffic) say(`live traffic: ${options.rate} new invoices/s`);
    const explicitPort = options.httpPort !== undefined || Boolean(process.env[SETTINGS.httpPort.env]);
    const http = await demoHttpPort({ port: settings.httpPort ?? 0, explicit: explicitPort });
    const streamSettings: Settings = { ...demoSettings, httpPort: http.port };
    // A port the user set is theirs to know (and `run` names it if it is busy); ours is announced.
    if (http.port > 0 && !explicitPort) {
      const why = http.replaced ? ` (port ${http.replaced} is in use; set ${SETTINGS.httpPort.env} to choose)` : '';
      say(`health and metrics on http://127.0.0.1:${http.port}/healthz and /metrics${why}`);
    }
    say('streaming into the lake; press Ctrl-C to stop');
    const live = liveLine();
    let requestStop: () => void = () => undefined;
    const stop = new Promise<void>((resolve) => (requestStop = resolve));
    const onSignal = () => {
      say('\nstopping: committing the last batch ...');
      void traffic?.stop();
      requestStop();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const logger = createLogger(settings.logLevel === 'info' && !process.env.LOG_LEVEL ? 'warn' : (settings.logLevel ?? 'warn'));
      await runCommand({ logger }, streamSettings, { once: false, handleSignals: false, hooks: live.hooks, scoringHooks: live.scoringHooks, jobEvents: live.jobEvents, stop });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      live.end();
      await traffic?.stop();
    }
    for (const example of EXAMPLES) {
      process.stdout.write(`\n${example.title}\n`);
      await queryCommand(demoSettings, example.sql, 'table', (text) => process.stdout.write(text));
    }
    await showJobs(demoSettings, say);
    // The embedded database stops with the demo; the lake stays readable through its version-hint files.
    process.stdout.write(
      `\nThe lake is in ${settings.lake ?? './lake'}. Query it any time, no database needed:\n` +
        `  npx invoice-lake query "SELECT count(*) FROM invoices" --catalog filesystem${settings.lake ? ` --lake ${settings.lake}` : ''}\n`,
    );
  } finally {
    await database?.stop();
  }
}

/** Runs each job once more (so a scheduled job has a result too), then prints one result of each shipped job. */
async function showJobs(settings: Settings, say: (line: string) => void): Promise<void> {
  say('\nrunning each job once more: the on-commit ones catch up, the scheduled ones run now');
  const { records, outputs } = await runAllJobsOnce(settings);
  for (const record of records) say(`  ${describeRun(record).trimEnd()}`);
  const written = new Set(records.filter((record) => record.status !== 'failed').map((record) => outputs.get(record.job)));
  for (const example of JOB_EXAMPLES.filter((candidate) => written.has(candidate.output))) {
    process.stdout.write(`\n${example.title}\n`);
    // A job that has never written (e.g. its input is still empty) has no table yet; that is not a demo failure.
    await queryCommand(settings, example.sql, 'table', (text) => process.stdout.write(text)).catch((error: unknown) => say(`  (no result: ${messageOf(error)})`));
  }
}

function liveLine() {
  const tty = process.stderr.isTTY === true;
  let rows = 0;
  let windowRows = 0;
  let lastCommit = '-';
  let acknowledged = '-';
  let model = '-';
  let lastScore = '-';
  let alerts = 0;
  let jobRuns = 0;
  let lastJob = '';
  let windowStart = Date.now();
  let rate = 0;
  const timer = setInterval(() => {
    const seconds = (Date.now() - windowStart) / 1000;
    rate = windowRows / Math.max(seconds, 0.001);
    windowRows = 0;
    windowStart = Date.now();
    const line = `lake +${rows} | ${rate.toFixed(0)} rows/s | commit ${lastCommit} | model ${model} | last score ${lastScore} | alerts ${alerts} | job runs ${jobRuns}${lastJob}`;
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${JSON.stringify({ msg: 'progress', rows, rowsPerSecond: Math.round(rate), lastCommit, acknowledged, model, lastScore, alerts, jobRuns })}\n`);
  }, tty ? 1000 : 5000);
  return {
    hooks: {
      onCommit(report: { rows: Record<string, number>; durationMs: number }) {
        const added = report.rows.invoices ?? 0;
        rows += added;
        windowRows += added;
        lastCommit = `${new Date().toISOString().slice(11, 19)} (${report.durationMs} ms)`;
      },
      onAcknowledge(lsn: bigint) {
        acknowledged = formatLsn(lsn);
      },
    },
    scoringHooks: {
      onAlert(alert: RiskAlert) {
        alerts++;
        const message = `ALERT invoice ${alert.invoiceId}: ${alert.amount} USD from ${alert.issuerId} to ${alert.receiverId}, score ${alert.score.toFixed(3)} (${alert.model})`;
        process.stderr.write(tty ? `\r\x1b[2K${message}\n` : `${JSON.stringify({ msg: 'alert', ...alert })}\n`);
      },
      onScored(_rows: number, _commitTime: bigint, latest: { model: string | undefined; score: number | null }) {
        const label = latest.model ?? 'unscored';
        if (label !== model && model !== '-') process.stderr.write(`${tty ? '\r\x1b[2K' : ''}model switched: ${model} -> ${label}\n`);
        model = label;
        lastScore = latest.score === null ? 'null' : latest.score.toFixed(3);
      },
    },
    jobEvents: {
      onRun(record: JobRunRecord) {
        if (record.status === 'skipped') return;
        jobRuns++;
        lastJob = ` (${record.job}: ${record.status === 'failed' ? 'failed' : `+${record.rowsOut} rows, ${record.durationMs} ms`})`;
        if (record.status === 'failed') process.stderr.write(`${tty ? '\r\x1b[2K' : ''}job ${record.job} failed: ${record.error}\n`);
      },
    },
    end() {
      clearInterval(timer);
      if (tty) process.stderr.write('\n');
    },
  };
}

async function ensureDemoSchema(databaseUrl: string): Promise<void> {
  const client = await connectPostgres(databaseUrl, 'demo');
  try {
    await ensureSourceSchema(client);
  } finally {
    await client.end();
  }
}

async function seedDemoData(databaseUrl: string, options: DemoOptions, say: (line: string) => void): Promise<void> {
  const client = await connectPostgres(databaseUrl, 'demo');
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM invoices');
    const existing = Number(rows[0]?.n ?? 0);
    if (existing > 0) {
      say(`reusing the demo data: ${existing} invoices`);
      return;
    }
    say(`loading demo data: ${options.customers} customers, ${options.invoices} invoices over 12 months`);
    let progress: ReturnType<typeof createProgress> | undefined;
    const result = await populate(client, {
      customers: options.customers,
      invoices: options.invoices,
      months: 12,
      seed: 42,
      now: new Date(),
      onProgress(done, total) {
        progress ??= createProgress({ label: 'demo rows', total });
        progress.update(done);
      },
    });
    progress?.stop();
    say(`loaded in ${(result.elapsedMs / 1000).toFixed(1)} s`);
  } finally {
    await client.end();
  }
}
