/**
 * Live progress: a cli-progress bar on a terminal, a plain line every few seconds otherwise (CI logs), nothing
 * with --no-progress. Writes to stderr so stdout stays the summary.
 */
import cliProgress from 'cli-progress';

export interface ProgressSnapshot {
  elapsedS: number;
  connected: number;
  updatesSent: number;
  delivered: number | undefined;
  p99Ms: number | null | undefined;
  cpuPercent: number;
  lagP99Ms: number;
}

export interface Progress {
  update(s: ProgressSnapshot): void;
  stop(): void;
}

const PLAIN_EVERY_S = 5;

export function createProgress(opts: { stream: NodeJS.WriteStream; totalS: number; enabled: boolean }): Progress {
  if (!opts.enabled) return { update: () => undefined, stop: () => undefined };
  const totalS = Math.max(1, Math.round(opts.totalS));
  let lastSent = 0;
  let lastAt = 0;
  let rate = 0;
  const measureRate = (s: ProgressSnapshot): void => {
    const dt = s.elapsedS - lastAt;
    if (dt >= 0.5) {
      rate = (s.updatesSent - lastSent) / dt;
      lastSent = s.updatesSent;
      lastAt = s.elapsedS;
    }
  };
  const fields = (s: ProgressSnapshot): Record<string, string | number> => ({
    users: s.connected,
    rate: Math.round(rate),
    sent: s.updatesSent,
    delivered: s.delivered === undefined ? '-' : s.delivered,
    p99: s.p99Ms === undefined || s.p99Ms === null ? '-' : s.p99Ms.toFixed(1),
    cpu: Math.round(s.cpuPercent),
    lag: s.lagP99Ms.toFixed(1),
  });

  if (opts.stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: opts.stream,
        format: 'simulate [{bar}] {value}/{total}s | users {users} | {rate} msg/s | sent {sent} | delivered {delivered} | p99 {p99} ms | cpu {cpu}% | lag {lag} ms',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(totalS, 0, fields({ elapsedS: 0, connected: 0, updatesSent: 0, delivered: undefined, p99Ms: undefined, cpuPercent: 0, lagP99Ms: 0 }));
    return {
      update(s) {
        measureRate(s);
        bar.update(Math.min(totalS, Math.floor(s.elapsedS)), fields(s));
      },
      stop() {
        bar.stop();
      },
    };
  }

  let nextLine = PLAIN_EVERY_S;
  return {
    update(s) {
      measureRate(s);
      if (s.elapsedS < nextLine) return;
      nextLine += PLAIN_EVERY_S;
      const f = fields(s);
      opts.stream.write(
        `simulate ${Math.floor(s.elapsedS)}/${totalS}s users=${f.users} rate=${f.rate}/s sent=${f.sent} delivered=${f.delivered} p99=${f.p99}ms cpu=${f.cpu}% lag=${f.lag}ms\n`,
      );
    },
    stop: () => undefined,
  };
}
