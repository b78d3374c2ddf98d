import type { Command } from 'commander';
import { Bridge } from '../../emulate/bridge.js';
import { DEFAULTS, resolveOptions, type EmulateFlags } from '../../emulate/options.js';
import type { EmulatorState } from '../../emulate/process.js';
import { renderBoxed, renderPlain } from '../../emulate/table-view.js';
import { addGenerateFlags, optionsFromFlags, type GenerateFlags } from '../generate-flags.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function register(program: Command): void {
  const cmd = program
    .command('emulate')
    .description('run the generated TouchDesigner scripts in a Python emulator against a live relay and draw the table');
  addGenerateFlags(cmd)
    .option('--url <url>', 'relay WebSocket URL, e.g. ws://192.168.1.20:8080')
    .option('--once', 'print one snapshot once the stream has settled, then exit')
    .option('--duration <s>', 'run this many seconds, print the final snapshot, exit')
    .option('--settle <s>', `with --once: quiet time that counts as settled (default ${DEFAULTS.settleS})`)
    .action(async (flags: GenerateFlags & EmulateFlags) => {
      const { url, once, durationS: duration, settleS: settle } = resolveOptions(flags);
      const options = optionsFromFlags(flags);
      const bridge = new Bridge({ url, options });
      const info = () => ({ url, socketOpen: bridge.socketOpen });
      const tty = process.stdout.isTTY === true && !once && duration === undefined;
      let stop = false;
      const onSignal = (): void => {
        stop = true;
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      await bridge.start();
      let last: EmulatorState | undefined;
      let lastPlain = '';
      const started = performance.now();
      let lastPrint = 0;
      try {
        for (;;) {
          await sleep(tty ? 250 : 200);
          last = await bridge.state();
          const now = performance.now();
          const elapsed = (now - started) / 1000;
          if (once) {
            const quiet = bridge.lastActivityAt > 0 && now - bridge.lastActivityAt > settle * 1000;
            if ((last.connected && quiet) || elapsed > 15 || stop) break;
          } else if (duration !== undefined) {
            if (elapsed >= duration || stop) break;
          } else if (stop) break;
          if (tty) {
            const rows = Math.max(5, (process.stdout.rows ?? 30) - 8);
            process.stdout.write(`\x1b[H\x1b[2J${renderBoxed(last, info(), rows)}(Ctrl-C to quit)\n`);
          } else if (!once && now - lastPrint >= 1000) {
            // print when the table, counters or connection changed, not merely the clock
            const key = JSON.stringify([last.table, last.stats, last.connected, last.errors.length]);
            if (key !== lastPlain) process.stdout.write(renderPlain(last, info()));
            lastPlain = key;
            lastPrint = now;
          }
        }
      } finally {
        await bridge.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (last) process.stdout.write(renderPlain(last, info()));
      if (last && last.errors.length > 0) {
        for (const e of last.errors) process.stderr.write(`script error in ${e.op}.${e.callback}: ${e.error}\n${e.traceback}\n`);
        process.exitCode = 1;
      } else if (bridge.net.opens === 0) {
        // Never connected (a wrong address, a relay that never answers): a failure, however the run ended.
        process.stderr.write(`tdcrowd emulate: could not connect to ${url}${bridge.net.lastError ? ` (${bridge.net.lastError})` : ''}\n`);
        process.exitCode = 1;
      }
    });
}
