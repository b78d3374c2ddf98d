/** Memory of a child process from /proc (Linux): its own heap, not the test's. */
import { readFileSync } from 'node:fs';

/** Resident set size of a process in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** Samples a process's RSS until stopped; `peak` is the largest sample. */
export class RssSampler {
  peak = 0;
  readonly samples: number[] = [];
  private timer: NodeJS.Timeout;
  constructor(private readonly pid: number, everyMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): number {
    try {
      const v = rssMiB(this.pid);
      this.samples.push(v);
      this.peak = Math.max(this.peak, v);
      return v;
    } catch {
      return 0; // the process is gone
    }
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
