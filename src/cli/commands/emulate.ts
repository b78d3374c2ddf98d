import type { Command } from 'commander';
import { DEFAULTS, resolveOptions, type EmulateFlags } from '../../emulate/options.js';
import { watchRelay } from '../../emulate/watch.js';
import { addGenerateFlags, optionsFromFlags, type GenerateFlags } from '../generate-flags.js';

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
      const o = resolveOptions(flags);
      const options = optionsFromFlags(flags);
      // Ctrl-C ends the run the way its end would: the final snapshot is printed, the emulator shut down.
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const code = await watchRelay(o, options, { stdout: process.stdout, stderr: process.stderr, signal: stop.signal });
        if (code !== 0) process.exitCode = code;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
