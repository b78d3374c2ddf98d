/**
 * `tdcrowd emulate`'s run: the bridge against a live relay, the emulated table drawn as it changes, until the
 * stream settles (--once), the time is up (--duration) or the caller aborts (Ctrl-C). The final snapshot is
 * printed in every case; script errors, or a run that never connected (--once, --duration or Ctrl-C alike),
 * make it a failure (exit 1).
 */
import type { GenerateOptions } from '../generate/index.js';
import { Bridge } from './bridge.js';
import type { EmulateOptions } from './options.js';
import type { EmulatorState } from './process.js';
import { renderBoxed, renderPlain } from './table-view.js';

/** Terminal redraws per second (4) and, off a terminal, how often the loop looks at the table. */
const TTY_POLL_MS = 250;
const PLAIN_POLL_MS = 200;
/** Off a terminal a changed table is printed at most once a second: a log, not a flood. */
const PLAIN_PRINT_MS = 1000;
/** --once gives up waiting for a settled stream after this long and prints what it has. */
const ONCE_LIMIT_S = 15;
/** Lines a terminal keeps for the status, the borders and the hint under the table. */
const TTY_CHROME_LINES = 8;

export interface WatchIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; rows?: number };
  stderr: { write(text: string): unknown };
  /** Ends the run (Ctrl-C); the final snapshot is still printed. */
  signal?: AbortSignal;
}

export async function watchRelay(o: EmulateOptions, options: GenerateOptions, io: WatchIo): Promise<0 | 1> {
  const { url, once, durationS, settleS } = o;
  const bridge = new Bridge({ url, options });
  const info = () => ({ url, socketOpen: bridge.socketOpen });
  const tty = io.stdout.isTTY === true && !once && durationS === undefined;
  const stopped = (): boolean => io.signal?.aborted === true;
  await bridge.start();
  let last: EmulatorState | undefined;
  let lastPlain = '';
  const started = performance.now();
  let lastPrint = 0;
  try {
    for (;;) {
      await sleep(tty ? TTY_POLL_MS : PLAIN_POLL_MS);
      last = await bridge.state();
      const now = performance.now();
      const elapsed = (now - started) / 1000;
      if (once) {
        const quiet = bridge.lastActivityAt > 0 && now - bridge.lastActivityAt > settleS * 1000;
        if ((last.connected && quiet) || elapsed > ONCE_LIMIT_S || stopped()) break;
      } else if (durationS !== undefined) {
        if (elapsed >= durationS || stopped()) break;
      } else if (stopped()) break;
      if (tty) {
        const rows = Math.max(5, (io.stdout.rows ?? 30) - TTY_CHROME_LINES);
        io.stdout.write(`\x1b[H\x1b[2J${renderBoxed(last, info(), rows)}(Ctrl-C to quit)\n`);
      } else if (!once && now - lastPrint >= PLAIN_PRINT_MS) {
        // print when the table, counters or connection changed, not merely the clock
        const key = JSON.stringify([last.table, last.stats, last.connected, last.errors.length]);
        if (key !== lastPlain) io.stdout.write(renderPlain(last, info()));
        lastPlain = key;
        lastPrint = now;
      }
    }
  } finally {
    await bridge.stop();
  }
  if (last) io.stdout.write(renderPlain(last, info()));
  if (last && last.errors.length > 0) {
    for (const e of last.errors) io.stderr.write(`script error in ${e.op}.${e.callback}: ${e.error}\n${e.traceback}\n`);
    return 1;
  }
  // Never connected (a wrong address, a relay that never answers): a failure, however the run ended.
  if (bridge.net.opens === 0) {
    io.stderr.write(`tdcrowd emulate: could not connect to ${url}${bridge.net.lastError ? ` (${bridge.net.lastError})` : ''}\n`);
    return 1;
  }
  return 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
