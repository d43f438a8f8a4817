import { readFileSync } from 'node:fs';

/** Peak resident memory and CPU time of a child process, read from /proc while it runs (Linux). */
export class ProcessSampler {
  #peakRssBytes = 0;
  #cpuSeconds = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #pid: number;

  constructor(pid: number, intervalMs = 100) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  get peakRssBytes(): number {
    return this.#peakRssBytes;
  }

  get cpuSeconds(): number {
    return this.#cpuSeconds;
  }

  stop(): void {
    this.#sample();
    clearInterval(this.#timer);
  }

  #sample(): void {
    try {
      // VmHWM is the kernel's own high-water mark, so samples between polls are not missed.
      const status = readFileSync(`/proc/${this.#pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) this.#peakRssBytes = Math.max(this.#peakRssBytes, Number(hwm[1]) * 1024);
      const stat = readFileSync(`/proc/${this.#pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      this.#cpuSeconds = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
    } catch {
      // the process has exited: keep the last sample
    }
  }
}
