import { SETTINGS, type Settings } from '../config/settings.ts';

/**
 * What one job run may use. Jobs run beside the stream on a shared machine:
 * a run that never ends would hold a DuckDB session (and a core) forever and
 * delay every other job, so each run is cancelled at its timeout; its memory
 * is bounded so DuckDB spills rather than taking the machine's (its default
 * is 80% of it). Enriching 1M invoices took 4.0 s either way, at 440 MB peak
 * RSS with 256 MB, 730 MB with 512 MB, 770 MB without a limit.
 */
export interface JobLimits {
  timeoutMs: number;
  memoryLimitMb: number;
}

/** The JOB_TIMEOUT_MS and JOB_MEMORY_LIMIT_MB defaults of the settings schema. */
export const DEFAULT_JOB_LIMITS: JobLimits = {
  timeoutMs: SETTINGS.jobTimeoutMs.parse(SETTINGS.jobTimeoutMs.default),
  memoryLimitMb: SETTINGS.jobMemoryLimitMb.parse(SETTINGS.jobMemoryLimitMb.default),
};

const MAX_TIMEOUT_MS = 86_400_000;
const MIN_MEMORY_MB = 16;
const TIMEOUT_UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };
const MEMORY_UNITS_MB: Record<string, number> = { mb: 1, gb: 1024 };

/** The limits the settings give every job (JOB_TIMEOUT_MS, JOB_MEMORY_LIMIT_MB). */
export function jobLimits(settings: Pick<Settings, 'jobTimeoutMs' | 'jobMemoryLimitMb'>): JobLimits {
  return {
    timeoutMs: settings.jobTimeoutMs ?? DEFAULT_JOB_LIMITS.timeoutMs,
    memoryLimitMb: settings.jobMemoryLimitMb ?? DEFAULT_JOB_LIMITS.memoryLimitMb,
  };
}

/** A job's own limits (its header) over the settings' ones. */
export function effectiveLimits(own: Partial<JobLimits>, defaults: JobLimits): JobLimits {
  return { timeoutMs: own.timeoutMs ?? defaults.timeoutMs, memoryLimitMb: own.memoryLimitMb ?? defaults.memoryLimitMb };
}

/** `-- timeout: 90s | 30m | 2h`, between 1 s and 24 h; the reason as an Error otherwise. */
export function parseTimeout(text: string): number {
  const match = /^(\d+)\s*([smh])$/i.exec(text.trim());
  if (!match) throw new Error(`timeout "${text}" must be a number of s, m or h (e.g. "30m")`);
  const ms = Number(match[1]) * TIMEOUT_UNITS_MS[match[2]!.toLowerCase()]!;
  if (ms < 1000 || ms > MAX_TIMEOUT_MS) throw new Error(`timeout "${text}" must be between 1s and 24h`);
  return ms;
}

/** `-- memory: 512MB | 2GB`, at least 16 MB; the reason as an Error otherwise. */
export function parseMemory(text: string): number {
  const match = /^(\d+)\s*(MB|GB)$/i.exec(text.trim());
  if (!match) throw new Error(`memory "${text}" must be a number of MB or GB (e.g. "512MB")`);
  const mb = Number(match[1]) * MEMORY_UNITS_MB[match[2]!.toLowerCase()]!;
  if (mb < MIN_MEMORY_MB) throw new Error(`memory "${text}" must be at least ${MIN_MEMORY_MB}MB`);
  return mb;
}

/** `10 min`, `90 s`, `1 h 30 min`: how a timeout reads in job_runs.error. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return [hours > 0 ? `${hours} h` : '', minutes > 0 ? `${minutes} min` : '', seconds > 0 ? `${seconds} s` : ''].filter(Boolean).join(' ');
}
