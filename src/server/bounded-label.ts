import { Counter, Gauge, type Registry } from 'prom-client';

/** What a label value becomes once its label has seen `max` distinct values. */
export const OVERFLOW_VALUE = 'other';
/** Distinct values one label keeps by default (Prometheus stores one series per value, forever). */
export const DEFAULT_MAX_VALUES = 50;
/** Longer values are cut: a label is an identifier, not a message. */
const MAX_VALUE_LENGTH = 128;

/**
 * Caps the distinct values of a label whose values come from outside (file
 * names, model metadata, table names): the first `max` values keep their own
 * series, later ones are counted as `other`. Cardinality stays bounded
 * whatever is dropped into `models/`.
 */
export class BoundedLabelValues {
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(max = DEFAULT_MAX_VALUES) {
    this.#max = max;
  }

  value(raw: string): string {
    const value = raw.length > MAX_VALUE_LENGTH ? raw.slice(0, MAX_VALUE_LENGTH) : raw;
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.#max) return OVERFLOW_VALUE;
    this.#seen.add(value);
    return value;
  }
}

/** Maps one raw label value to the value recorded. */
export type LabelBound = (raw: string) => string;

export const capped = (max = DEFAULT_MAX_VALUES): LabelBound => {
  const values = new BoundedLabelValues(max);
  return (raw) => values.value(raw);
};

/** For a gauge that keeps one series at a time: the value only needs its length bounded. */
export const shortened: LabelBound = (raw) => (raw.length > MAX_VALUE_LENGTH ? raw.slice(0, MAX_VALUE_LENGTH) : raw);

type Labels<L extends string> = Partial<Record<L, string>>;

function bounded<L extends string>(labels: Labels<L>, bounds: Record<L, LabelBound>): Record<L, string> {
  const result = {} as Record<L, string>;
  for (const name of Object.keys(bounds) as L[]) result[name] = bounds[name](labels[name] ?? '');
  return result;
}

/** A counter that passes every label value through its bound; the only way to count it. */
export class BoundedCounter<L extends string> {
  readonly #counter: Counter<L>;
  readonly #bounds: Record<L, LabelBound>;

  constructor(options: { name: string; help: string; registry: Registry }, bounds: Record<L, LabelBound>) {
    this.#bounds = bounds;
    this.#counter = new Counter({ name: options.name, help: options.help, labelNames: Object.keys(bounds) as L[], registers: [options.registry] });
  }

  inc(labels: Labels<L> = {}, value = 1): void {
    this.#counter.inc(bounded(labels, this.#bounds), value);
  }
}

/**
 * A gauge with one series at a time, the current one (the active model):
 * setting a new label value drops the previous series instead of leaving one
 * per model ever loaded.
 */
export class CurrentValueGauge<L extends string> {
  readonly #gauge: Gauge<L>;
  readonly #bounds: Record<L, LabelBound>;

  constructor(options: { name: string; help: string; registry: Registry }, bounds: Record<L, LabelBound>) {
    this.#bounds = bounds;
    this.#gauge = new Gauge({ name: options.name, help: options.help, labelNames: Object.keys(bounds) as L[], registers: [options.registry] });
  }

  set(labels: Labels<L>, value: number): void {
    this.#gauge.reset();
    this.#gauge.set(bounded(labels, this.#bounds), value);
  }
}
