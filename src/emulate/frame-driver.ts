/**
 * Steps the emulator's frames at real time (the emulate bridges): one `step` per tick with the real time since the
 * last one, so run() delays, pruning and heartbeats behave as in TouchDesigner. A tick that finds the previous
 * step still running is skipped; the next one carries the whole elapsed time (at most 1 s).
 */
import type { EmulatorProcess } from './process.js';

export class FrameDriver {
  private timer: NodeJS.Timeout | undefined;
  private lastStep = 0;
  private stepping = false;

  constructor(private readonly emu: EmulatorProcess) {}

  start(frameMs = 20): void {
    this.lastStep = performance.now();
    this.timer = setInterval(() => void this.step(), frameMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async step(): Promise<void> {
    if (this.stepping || this.timer === undefined) return;
    this.stepping = true;
    const now = performance.now();
    const dt = Math.min(1, (now - this.lastStep) / 1000);
    this.lastStep = now;
    try {
      await this.emu.request('step', { dt });
    } catch {
      // the emulator has exited; the bridge's stop() reports it
    } finally {
      this.stepping = false;
    }
  }
}
