import type { Command } from 'commander';
import { UserError } from '../../common/user-error.js';
import { DEFAULTS, resolveOptions, type EmulateFlags } from '../../emulate/options.js';
import { serveWebserver } from '../../emulate/serve.js';
import { watchRelay } from '../../emulate/watch.js';
import { addGenerateFlags, optionsFromFlags, type GenerateFlags } from '../generate-flags.js';

function seconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UserError(`--${flag} must be a number of seconds > 0; got ${JSON.stringify(v)}`);
  return n;
}

/** TouchDesigner connects to one relay instance, so the emulator does too: a second --url is a mistake, not a list. */
function onlyOnce(value: string, previous: string | undefined): string {
  if (previous !== undefined) throw new UserError('--url takes one relay (TouchDesigner connects to one instance); it was given twice');
  return value;
}

export function register(program: Command): void {
  const cmd = program
    .command('emulate')
    .description('run the generated TouchDesigner scripts in a Python emulator against a live relay and draw the table');
  addGenerateFlags(cmd)
    .option('--url <url>', 'relay WebSocket URL, e.g. ws://192.168.1.20:8080: one instance, as TouchDesigner connects to one; with --target webserver, where to serve the page (http://HOST:PORT)', onlyOnce)
    .option('--port <port>', 'with --target webserver: the port to serve on when --url is not given (default 8080)')
    .option('--once', 'print one snapshot once the stream has settled, then exit')
    .option('--duration <s>', 'run this many seconds, print the final snapshot, exit')
    .option('--settle <s>', `with --once: quiet time that counts as settled (default ${DEFAULTS.settleS})`)
    .action(async (flags: GenerateFlags & EmulateFlags) => {
      const options = optionsFromFlags(flags);
      if (options.target !== 'websocket' && options.target !== 'webserver') {
        throw new UserError(`tdcrowd emulate does not run --target ${options.target} yet`);
      }
      const o = options.target === 'websocket' ? resolveOptions(flags) : undefined;
      const duration = o ? o.durationS : seconds('duration', flags.duration);
      // Ctrl-C ends the run the way its end would: the final snapshot is printed, the emulator shut down.
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const code = o
          ? await watchRelay(o, options, { stdout: process.stdout, stderr: process.stderr, signal: stop.signal })
          : await serveWebserver(options, flags.url, duration, stop.signal);
        if (code !== 0) process.exitCode = code;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
