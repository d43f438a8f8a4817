/**
 * `npm run bench [-- --quick]`: the performance workloads, each beside its
 * baseline or goal, printed as a table and written to bench/results/.
 * Full sizes fit a 2-core, 24 GiB machine in about 10 minutes; --quick takes
 * well under a minute and only proves every metric is produced.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { backlogDrain } from './workloads/backlog-drain.ts';
import { steadyStream } from './workloads/steady-stream.ts';
import { scoringAlone } from './workloads/scoring-alone.ts';
import { lakeQueries } from './workloads/lake-queries.ts';
import { hugeTransaction } from './workloads/huge-transaction.ts';
import { timelineSvg } from './timeline-chart.ts';

const quick = process.argv.includes('--quick');
const sizes = quick
  ? { drainInvoices: 20_000, rate: 2_000, seconds: 6, scoring: 30_000, customers: 500, queryInvoices: 100_000, hugeRows: 20_000, hugeWorkMem: '64kB' }
  : { drainInvoices: 1_000_000, rate: 10_000, seconds: 60, scoring: 200_000, customers: 10_000, queryInvoices: 10_000_000, hugeRows: 1_000_000, hugeWorkMem: undefined };
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const startedAt = new Date();
log(`${quick ? 'quick' : 'full'} run: ${JSON.stringify(sizes)}`);
const drain = await backlogDrain({ invoices: sizes.drainInvoices, customers: sizes.customers, log });
log(`one transaction of ${sizes.hugeRows} invoices ...`);
const huge = await hugeTransaction({ rows: sizes.hugeRows, customers: sizes.customers, log, logicalDecodingWorkMem: sizes.hugeWorkMem });
const steady = await steadyStream({ rate: sizes.rate, seconds: sizes.seconds, customers: sizes.customers, log });
log('scoring alone ...');
const scoring = await scoringAlone({ invoices: sizes.scoring });
log(`queries over ${sizes.queryInvoices} invoices ...`);
const queries = await lakeQueries({ invoices: sizes.queryInvoices, customers: sizes.customers, log });

const fmt = (value: number | null, digits = 0) => (value === null ? 'n/a' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const rows: Array<[string, string, string]> = [
  ['backlog drain, end to end (rows/s)', fmt(drain.rowsPerSecond), `≥ 0.8 × bare consumer (${fmt(drain.bareNodeRowsPerSecond)}): ratio ${fmt(drain.rowsPerSecond / drain.bareNodeRowsPerSecond, 2)}`],
  ['  vs pg_recvlogical (rows/s)', fmt(drain.pgRecvlogicalRowsPerSecond), drain.pgRecvlogicalRowsPerSecond ? `ratio ${fmt(drain.rowsPerSecond / drain.pgRecvlogicalRowsPerSecond, 2)}` : 'pg_recvlogical not installed'],
  ['peak RSS, drain (MB)', fmt(drain.peakRssMb), '≤ 400'],
  [`freshness p50 / p99 at ${fmt(steady.targetRate)}/s (ms)`, `${fmt(steady.freshnessP50Ms)} / ${fmt(steady.freshnessP99Ms)}`, 'p99 ≤ 1,000'],
  ['score latency p50 / p99 (ms)', `${fmt(steady.scoreLatencyP50Ms)} / ${fmt(steady.scoreLatencyP99Ms)}`, 'p99 ≤ 50'],
  ['steady stream: achieved rate, CPU cores, peak RSS (MB)', `${fmt(steady.achievedRate)}/s, ${fmt(steady.cpuCoresUsed, 2)}, ${fmt(steady.peakRssMb)}`, 'RSS ≤ 400'],
  ['scoring alone, batch 1 / 25 / 1024 (rows/s)', `${fmt(scoring.batch1RowsPerSecond ?? null)} / ${fmt(scoring.batch25RowsPerSecond ?? null)} / ${fmt(scoring.batch1024RowsPerSecond ?? null)}`, '—'],
  [`one transaction of ${fmt(huge.rows)} invoices: commit → lake (s)`, fmt(huge.secondsToLake, 1), `—`],
  ['  peak RSS (MB)', fmt(huge.peakRssMb), '≤ 400'],
  ['  server spill / streamed (bytes)', `${fmt(huge.spillBytes)} / ${fmt(huge.streamBytes)}`, `spill 0 (logical_decoding_work_mem ${huge.logicalDecodingWorkMem})`],
  [`group-by last 3 months over ${fmt(queries.invoices)} invoices (ms)`, `lake ${fmt(queries.groupByLakeMs)} (${fmt(queries.groupByLakeFilesRead)} files), PostgreSQL ${fmt(queries.groupByPgMs)}`, `≥ 10 × faster: ${fmt(queries.groupBySpeedup, 1)} ×`],
  ['invoice by id, lake p50 / p99 (ms)', `${fmt(queries.lookupLakeP50Ms, 1)} / ${fmt(queries.lookupLakeP99Ms, 1)}`, `p50 ≤ 20 (PostgreSQL ${fmt(queries.lookupPgP50Ms, 1)} / ${fmt(queries.lookupPgP99Ms, 1)})`],
  ['invoice by id, data files read (max)', fmt(queries.lookupLakeFilesMax), '≤ 1'],
];
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length), ['metric', 'measured', 'goal / baseline'][i]!.length));
const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' │ ');
process.stdout.write(`${line(['metric', 'measured', 'goal / baseline'])}\n${widths.map((w) => '─'.repeat(w)).join('─┼─')}\n${rows.map(line).join('\n')}\n`);

const results = fileURLToPath(new URL('./results/', import.meta.url));
await mkdir(results, { recursive: true });
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const file = `${results}${quick ? 'quick' : 'full'}-${stamp}.json`;
await writeFile(file, `${JSON.stringify({ startedAt, quick, sizes, drain, huge, steady, scoring, queries }, null, 2)}\n`);
await writeFile(file.replace(/\.json$/, '.svg'), timelineSvg(steady.timeline, `steady stream at ${fmt(steady.targetRate)} invoices/s`));
log(`results: ${file}`);
process.exit(0);
