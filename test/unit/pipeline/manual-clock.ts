import type { StreamClock } from '../../../src/pipeline/stream-clock.ts';

/** A clock that moves only when told, firing the interval ticks it passes. */
export class ManualClock implements StreamClock {
  #nowMs = 0;
  #timers: Array<{ intervalMs: number; nextMs: number; tick: () => void }> = [];

  nowMs(): number {
    return this.#nowMs;
  }

  every(intervalMs: number, tick: () => void): () => void {
    intervalMs = Math.max(1, intervalMs); // as setInterval does
    const timer = { intervalMs, nextMs: this.#nowMs + intervalMs, tick };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `ms`, firing each tick due on the way (in time order). */
  advance(ms: number): void {
    const target = this.#nowMs + ms;
    while (true) {
      const due = this.#timers.filter((t) => t.nextMs <= target).sort((a, b) => a.nextMs - b.nextMs)[0];
      if (!due) break;
      this.#nowMs = due.nextMs;
      due.nextMs += due.intervalMs;
      due.tick();
    }
    this.#nowMs = target;
  }

  get activeTimers(): number {
    return this.#timers.length;
  }
}
