/**
 * `tdcrowd emulate --target webserver`: the emulated Web Server DAT serves the joystick page itself, and the table
 * is printed whenever it changes.
 */
import { UserError } from '../common/user-error.js';
import type { GenerateOptions } from '../generate/index.js';
import { ServerBridge } from './server-bridge.js';
import { renderPlain } from './table-view.js';
import type { EmulatorState } from './process.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** --url http://HOST:PORT is where the emulated Web Server DAT listens (default 127.0.0.1 and --port). */
export function listenAddress(url: string | undefined, port: number): { host: string; port: number } {
  if (!url) return { host: '127.0.0.1', port };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--url: not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:') throw new UserError(`--target webserver: --url is the address to serve on, http://HOST:PORT; got ${url}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 80 : Number(u.port) };
}

export async function serveWebserver(options: GenerateOptions, url: string | undefined, duration: number | undefined, signal: AbortSignal): Promise<number> {
  const at = listenAddress(url, options.port);
  const bridge = new ServerBridge({ options, host: at.host, port: at.port });
  let page: string;
  try {
    page = await bridge.start();
  } catch (err) {
    await bridge.stop().catch(() => undefined);
    throw new UserError(`cannot serve on ${at.host}:${at.port}: ${(err as Error).message}`);
  }
  process.stdout.write(`tdcrowd emulate: the Web Server DAT scripts serve the joystick page at ${page} (Ctrl-C to quit)\n`);
  const started = performance.now();
  let last: EmulatorState | undefined;
  let lastKey = '';
  try {
    while (!signal.aborted && (duration === undefined || performance.now() - started < duration * 1000)) {
      await sleep(500);
      last = await bridge.state();
      const key = JSON.stringify([last.table, last.stats, last.server?.clients, last.errors.length]);
      if (key !== lastKey) process.stdout.write(renderPlain(last, { url: page, socketOpen: true }));
      lastKey = key;
    }
  } finally {
    await bridge.stop();
  }
  if (last && last.errors.length > 0) {
    for (const e of last.errors) process.stderr.write(`script error in ${e.op}.${e.callback}: ${e.error}\n${e.traceback}\n`);
    return 1;
  }
  return 0;
}
