/**
 * The emulate run loop (src/emulate/watch.ts) in-process, against a small scripted `ws` server: off a terminal
 * it prints the table when it changes, on a terminal it redraws it in place, and an abort (Ctrl-C) ends the
 * run with the final snapshot and exit 0. (The CLI around it: bridge.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { resolveOptions as emulateOptions } from '../../src/emulate/options.js';
import { watchRelay, type WatchIo } from '../../src/emulate/watch.js';
import { resolveOptions } from '../../src/generate/index.js';
import { hasPython } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { update } from './harness.js';

interface Captured extends WatchIo {
  out: string;
  err: string;
}

function capture(tty: boolean, signal: AbortSignal): Captured {
  const c: Captured = {
    out: '',
    err: '',
    stdout: { write: (t: string) => (c.out += t), isTTY: tty, rows: 20 },
    stderr: { write: (t: string) => (c.err += t) },
    signal,
  };
  return c;
}

/** Sends two phones' updates to each client once it has said hello. */
async function server(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => ws.once('message', () => ['ann', 'bob'].forEach((id, i) => ws.send(JSON.stringify(update(id, 10 * (i + 1), 0, 1, 2))))));
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }),
  };
}

describe.skipIf(!hasPython())('emulate watch loop', () => {
  let srv: Awaited<ReturnType<typeof server>> | undefined;
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
  });

  it('off a terminal: prints the table once it changes, no control codes; an abort ends it with the final snapshot, exit 0', async () => {
    srv = await server();
    const stop = new AbortController();
    const io = capture(false, stop.signal);
    const run = watchRelay(emulateOptions({ url: srv.url }), resolveOptions({ timeout: 0 }), io);
    await until(() => /^ann\t10\t0\t1\t2$/m.test(io.out) && /^bob\t20\t0\t1\t2$/m.test(io.out), 'both rows printed');
    const printed = io.out.length;
    stop.abort();
    expect(await run).toBe(0);
    // The final snapshot comes after the abort.
    expect(io.out.slice(printed)).toMatch(/^--- ws:\/\/127\.0\.0\.1:\d+ {2}connected/);
    expect(io.out.slice(printed)).toMatch(/^bob\t20\t0\t1\t2$/m);
    expect(io.out).not.toMatch(/\u001b\[/);
    expect(io.err).toBe('');
  });

  it('on a terminal: redraws the boxed table in place with the Ctrl-C hint', async () => {
    srv = await server();
    const stop = new AbortController();
    const io = capture(true, stop.signal);
    const run = watchRelay(emulateOptions({ url: srv.url }), resolveOptions({ timeout: 0 }), io);
    const frames = (): string[] => io.out.split('\x1b[H\x1b[2J').slice(1);
    await until(() => frames().length >= 2 && /ann.*10/.test(frames().at(-1)!) && /bob.*20/.test(frames().at(-1)!), 'two redraws, the last showing both rows');
    stop.abort();
    expect(await run).toBe(0);
    for (const f of frames()) expect(f).toContain('(Ctrl-C to quit)');
    // The table is boxed (cli-table3's borders), not tab-separated.
    expect(frames().at(-1)).toMatch(/│ bob\s+│ 20\s+│/);
  });
});
