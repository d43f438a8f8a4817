/** Time as the stream sees it; injected so delay-based commits test deterministically. */
export interface StreamClock {
  nowMs(): number;
  /** Calls `tick` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, tick: () => void): () => void;
}

/** The process clock and timers. */
export const systemClock: StreamClock = {
  nowMs: () => Date.now(),
  every(intervalMs, tick) {
    const timer = setInterval(tick, intervalMs);
    return () => clearInterval(timer);
  },
};
