/** A dyno's memory and cores: the cgroup limit (v2, then v1) or the machine's, and nproc. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Resources {
  memoryMb: number;
  cores: number;
}

const ABSURD = 2 ** 50; // "no limit" shows up as max or a huge number

export function cgroupLimitBytes(read: (p: string) => string | undefined = tryRead): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    const raw = read(file)?.trim();
    if (!raw || raw === 'max') continue;
    const n = Number(raw);
    if (Number.isFinite(n) && n > 0 && n < ABSURD) return n;
  }
  return undefined;
}

function tryRead(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

export function detectResources(): Resources {
  const limit = cgroupLimitBytes();
  const bytes = Math.min(limit ?? Infinity, os.totalmem());
  return { memoryMb: Math.floor(bytes / 2 ** 20), cores: os.availableParallelism() };
}

/** Daemon heap (SPARK_DAEMON_MEMORY): 512m on dynos of 2.5 GB or less, else 1g. */
export const daemonMemoryMb = (r: Resources) => (r.memoryMb <= 2560 ? 512 : 1024);

/**
 * What a worker offers when SPARK_WORKER_MEMORY is unset: the dyno's memory minus the worker
 * daemon's heap and 10% (at least 256 MB) for the OS and JVM overhead.
 */
export function workerMemoryMb(r: Resources): number {
  const headroom = daemonMemoryMb(r) + Math.max(256, Math.round(r.memoryMb * 0.1));
  return Math.max(256, r.memoryMb - headroom);
}
