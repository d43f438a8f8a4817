/**
 * "The last N months" of `invoice-lake customer`: whole UTC calendar months,
 * the current one (so far) and the N − 1 before it, so that a month means the
 * same in the rollup table (one row per customer and month) and in invoices.
 */
export interface MonthWindow {
  /** `YYYY-MM` of each month, oldest first. */
  months: string[];
  /** First instant of the oldest month (inclusive), ISO in UTC. */
  start: string;
  /** First instant of the month after the current one (exclusive), ISO in UTC. */
  end: string;
  startMicros: bigint;
  endMicros: bigint;
}

export function lastMonths(count: number, now: Date): MonthWindow {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const firstInstant = (offset: number) => new Date(Date.UTC(year, month + offset, 1));
  const start = firstInstant(-(count - 1));
  const end = firstInstant(1);
  const months = Array.from({ length: count }, (_, i) => firstInstant(i - (count - 1)).toISOString().slice(0, 7));
  return {
    months,
    start: start.toISOString(),
    end: end.toISOString(),
    startMicros: BigInt(start.getTime()) * 1000n,
    endMicros: BigInt(end.getTime()) * 1000n,
  };
}
