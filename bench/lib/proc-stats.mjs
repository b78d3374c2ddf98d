/**
 * CPU time and RSS of another process, from /proc (Linux). The benchmarks measure the relay from outside so
 * the load generator's own work is never counted against it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const CLK_TCK = 100; // USER_HZ on Linux

/** User+system CPU seconds the process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLK_TCK;
}

/** Resident set size in bytes. */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Open file descriptors of the process (listening socket, accepted sockets, a few files). */
export function fdCount(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The 1-minute load average: a benchmark row taken while the machine was busy says so. */
export function loadAvg1() {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/**
 * CPU used by a process over a window: `mark()` at the start, `read()` at the end gives CPU seconds, wall
 * seconds and the share of one core.
 */
export function cpuWindow(pid) {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  return {
    read() {
      const cpu = cpuSeconds(pid) - cpu0;
      const wall = (performance.now() - t0) / 1000;
      return { cpuS: cpu, wallS: wall, percent: wall > 0 ? (cpu / wall) * 100 : 0 };
    },
  };
}

/** CPU seconds all processes on the machine have used so far (busy time of every core, /proc/stat). */
export function machineBusySeconds() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = v;
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}
