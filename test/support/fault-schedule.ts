/**
 * A seeded random schedule of faults, so a failing run can be replayed with
 * the same seed (`FAULT_SEED=<n>`).
 */
export type FaultKind = 'kill-9' | 'restart-fast' | 'restart-immediate' | 'second-writer';

export interface FaultEvent {
  /** Milliseconds after the schedule starts. */
  atMs: number;
  kind: FaultKind;
  /** kill-9: how long the daemon stays down; restart-*: how long PostgreSQL stays down. */
  downMs: number;
}

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from FAULT_SEED, or a fresh one. */
export function faultSeed(): number {
  const given = process.env.FAULT_SEED;
  if (given !== undefined && /^\d+$/.test(given)) return Number(given);
  return Math.floor(Math.random() * 2 ** 31);
}

/**
 * Every kind at least once, in a random order, plus `extra` random ones,
 * spaced `minGapMs`…`maxGapMs` apart.
 */
export function faultSchedule(seed: number, options: { extra: number; minGapMs: number; maxGapMs: number }): FaultEvent[] {
  const random = seededRandom(seed);
  const kinds: FaultKind[] = ['kill-9', 'restart-fast', 'restart-immediate', 'second-writer'];
  const chosen = [...kinds, ...Array.from({ length: options.extra }, () => kinds[Math.floor(random() * kinds.length)]!)];
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [chosen[i], chosen[j]] = [chosen[j]!, chosen[i]!];
  }
  let atMs = 0;
  return chosen.map((kind) => {
    atMs += Math.round(options.minGapMs + random() * (options.maxGapMs - options.minGapMs));
    const downMs = kind === 'kill-9' ? Math.round(200 + random() * 2_300) : kind === 'second-writer' ? 0 : Math.round(random() * 2_000);
    return { atMs, kind, downMs };
  });
}
