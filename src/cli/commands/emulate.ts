import type { Command } from 'commander';
import { addGenerateFlags, optionsFromFlags } from '../../generate/cli-options.js';
import { Bridge } from '../../emulate/bridge.js';
import { ServerBridge } from '../../emulate/server-bridge.js';
import { renderBoxed, renderPlain } from '../../emulate/table-view.js';
import type { EmulatorState } from '../../emulate/process.js';
import { UsageError } from '../usage-error.js';

interface EmulateFlags {
  url?: string;
  once?: boolean;
  duration?: string;
  settle?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** --target webserver: --url http://HOST:PORT is where the emulated Web Server DAT listens (default 127.0.0.1 and --port). */
function listenAddress(url: string | undefined, port: number): { host: string; port: number } {
  if (!url) return { host: '127.0.0.1', port };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--url: not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:') throw new UsageError(`--target webserver: --url is the address to serve on, http://HOST:PORT; got ${url}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 80 : Number(u.port) };
}

async function serve(options: ReturnType<typeof optionsFromFlags>, url: string | undefined, duration: number | undefined): Promise<void> {
  const at = listenAddress(url, options.port);
  const bridge = new ServerBridge({ options, host: at.host, port: at.port });
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let page: string;
  try {
    page = await bridge.start();
  } catch (err) {
    await bridge.stop().catch(() => undefined);
    throw new UsageError(`cannot serve on ${at.host}:${at.port}: ${(err as Error).message}`);
  }
  process.stdout.write(`tdcrowd emulate: the Web Server DAT scripts serve the joystick page at ${page} (Ctrl-C to quit)\n`);
  const started = performance.now();
  let last: EmulatorState | undefined;
  let lastKey = '';
  try {
    while (!stop && (duration === undefined || performance.now() - started < duration * 1000)) {
      await sleep(500);
      last = await bridge.state();
      const key = JSON.stringify([last.table, last.stats, last.server?.clients, last.errors.length]);
      if (key !== lastKey) process.stdout.write(renderPlain(last, { url: page, socketOpen: true }));
      lastKey = key;
    }
  } finally {
    await bridge.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (last && last.errors.length > 0) {
    for (const e of last.errors) process.stderr.write(`script error in ${e.op}.${e.callback}: ${e.error}\n${e.traceback}\n`);
    process.exitCode = 1;
  }
}

function parseUrl(url: string | undefined): string {
  if (!url) throw new UsageError('--url ws://HOST:PORT is required (the relay to connect to)');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--url: not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new UsageError(`--url must start with ws:// or wss://; got ${url}`);
  return url;
}

function seconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a number of seconds > 0; got ${JSON.stringify(v)}`);
  return n;
}

export function register(program: Command): void {
  const cmd = program
    .command('emulate')
    .description('run the generated TouchDesigner scripts in a Python emulator against a live relay and draw the table');
  addGenerateFlags(cmd)
    .option('--url <url>', 'relay WebSocket URL, e.g. ws://192.168.1.20:8080; with --target webserver, where to serve the page (http://HOST:PORT)')
    .option('--port <port>', 'with --target webserver: the port to serve on when --url is not given (default 8080)')
    .option('--once', 'print one snapshot once the stream has settled, then exit')
    .option('--duration <s>', 'run this many seconds, print the final snapshot, exit')
    .option('--settle <s>', 'with --once: quiet time that counts as settled (default 1)')
    .action(async (flags: Parameters<typeof optionsFromFlags>[0] & EmulateFlags) => {
      const options = optionsFromFlags(flags);
      const duration = seconds('duration', flags.duration);
      if (options.target === 'webserver') {
        await serve(options, flags.url, duration);
        return;
      }
      if (options.target !== 'websocket') throw new UsageError(`tdcrowd emulate does not run --target ${options.target} yet`);
      const url = parseUrl(flags.url);
      const settle = seconds('settle', flags.settle) ?? 1;
      if (flags.once && duration !== undefined) throw new UsageError('use either --once or --duration, not both');
      const bridge = new Bridge({ url, options });
      const info = () => ({ url, socketOpen: bridge.socketOpen });
      const tty = process.stdout.isTTY === true && !flags.once && duration === undefined;
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
          if (flags.once) {
            const quiet = bridge.lastActivityAt > 0 && now - bridge.lastActivityAt > settle * 1000;
            if ((last.connected && quiet) || elapsed > 15 || stop) break;
          } else if (duration !== undefined) {
            if (elapsed >= duration || stop) break;
          } else if (stop) break;
          if (tty) {
            const rows = Math.max(5, (process.stdout.rows ?? 30) - 8);
            process.stdout.write(`\x1b[H\x1b[2J${renderBoxed(last, info(), rows)}(Ctrl-C to quit)\n`);
          } else if (!flags.once && now - lastPrint >= 1000) {
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
      } else if (flags.once && !last?.connected) {
        process.stderr.write(`tdcrowd emulate: could not connect to ${url}${bridge.net.lastError ? ` (${bridge.net.lastError})` : ''}\n`);
        process.exitCode = 1;
      }
    });
}
