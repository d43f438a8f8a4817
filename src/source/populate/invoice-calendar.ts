/**
 * When invoices happen: how many per UTC day, and at which microsecond.
 *
 * Invoices are emitted day by day in time order (so invoice_id grows with
 * issue_date, as in a real table), which needs only one day's timestamps in
 * memory at a time: a Float64Array of that day's count, never the whole run.
 * Daily volume grows over the window (the table "grows fast"), dips at
 * weekends and has a little day-to-day noise; within a day, times follow the
 * business hours of the customers' time zones.
 */
import { pickCountry } from './catalog.ts';
import { hashUnit } from './prng.ts';
import type { Rng } from './prng.ts';
import { MICROS_PER_DAY, MICROS_PER_MINUTE, weekdayOfDay } from './time-text.ts';
import type { InvoiceWindow } from './time-text.ts';

/** One UTC day (or the partial first/last day) of the window and its invoice count. */
export interface DayPlan {
  readonly startMicros: number;
  readonly endMicros: number;
  readonly count: number;
}

/** Relative volume by weekday, Sunday first: businesses rarely invoice at weekends. */
const WEEKDAY_WEIGHT = [0.06, 1, 1, 1, 1, 0.95, 0.12] as const;
/** Daily volume at the start of the window relative to its end. */
const GROWTH_FLOOR = 0.6;
const TAG_DAY_NOISE = 301;

/** Local hour (0..23) of an instant for a UTC offset in minutes. */
export function localHour(micros: number, utcOffsetMinutes: number): number {
  const minutes = Math.floor(micros / MICROS_PER_MINUTE) + utcOffsetMinutes;
  return Math.floor((((minutes % 1440) + 1440) % 1440) / 60);
}

/** Likelihood of invoicing at a local hour: office hours 08:00–19:00, a shoulder, a trickle at night. */
export function hourWeight(hour: number): number {
  if (hour >= 8 && hour < 19) return 1;
  if (hour === 7 || hour === 19 || hour === 20) return 0.2;
  return 0.02;
}

/** Splits `total` invoices over the days of the window; the counts sum exactly to `total`. */
export function planDays(window: InvoiceWindow, total: number, streamSeed: number): DayPlan[] {
  const { startMicros, endMicros } = window;
  if (!(endMicros > startMicros)) throw new RangeError('the invoices window is empty');
  const firstDay = Math.floor(startMicros / MICROS_PER_DAY);
  const lastDay = Math.floor((endMicros - 1) / MICROS_PER_DAY);
  const spans: { startMicros: number; endMicros: number }[] = [];
  const weights: number[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    const from = Math.max(startMicros, day * MICROS_PER_DAY);
    const to = Math.min(endMicros, (day + 1) * MICROS_PER_DAY);
    const position = ((from + to) / 2 - startMicros) / (endMicros - startMicros);
    const growth = GROWTH_FLOOR + (1 - GROWTH_FLOOR) * position;
    const noise = 0.85 + 0.3 * hashUnit(streamSeed, TAG_DAY_NOISE, day);
    spans.push({ startMicros: from, endMicros: to });
    weights.push(((to - from) / MICROS_PER_DAY) * (WEEKDAY_WEIGHT[weekdayOfDay(day)] ?? 1) * growth * noise);
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  // Rounding the running total (not each share) makes the counts add up exactly.
  const plans: DayPlan[] = [];
  let cumulative = 0;
  let assigned = 0;
  spans.forEach((span, i) => {
    cumulative += weights[i] ?? 0;
    const upTo = i === spans.length - 1 ? total : Math.round((total * cumulative) / sum);
    plans.push({ ...span, count: upTo - assigned });
    assigned = upTo;
  });
  return plans;
}

/**
 * `plan.count` sorted timestamps inside the day, with random microseconds,
 * concentrated in the business hours of a country mix weighted like the customers.
 */
export function sampleDayTimestamps(rng: Rng, plan: DayPlan): Float64Array {
  const span = plan.endMicros - plan.startMicros;
  const out = new Float64Array(plan.count);
  for (let i = 0; i < plan.count; i++) {
    let t: number;
    do {
      t = plan.startMicros + Math.floor(rng.next53() * span);
    } while (rng.next() >= hourWeight(localHour(t, pickCountry(rng.next()).utcOffsetMinutes)));
    out[i] = t;
  }
  return out.sort();
}
