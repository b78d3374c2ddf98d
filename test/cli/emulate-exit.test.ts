/**
 * `tdcrowd emulate` ends the way a user expects (issue 11, part 8): Ctrl-C in a terminal (SIGINT to the whole
 * foreground process group, Python included) ends it cleanly with no traceback, and a run that never connected
 * is a failure (exit 1), whether it ran out its --duration or was interrupted.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { hasPython } from '../helpers/requirements.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs `tdcrowd emulate ARGS` in its own process group; `interrupt` decides when to press Ctrl-C. */
function emulate(args: string[], interrupt?: (out: { stdout: string }) => boolean): Promise<Run> {
  const child = spawn(process.execPath, [MAIN, 'emulate', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const run: Run = { stdout: '', stderr: '', code: null };
  let pressed = false;
  child.stdout.on('data', (d: Buffer) => {
    run.stdout += d.toString();
    if (!pressed && interrupt?.(run)) {
      pressed = true;
      process.kill(-child.pid!, 'SIGINT'); // the whole group, as a terminal's Ctrl-C
    }
  });
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      run.code = code;
      resolve(run);
    }),
  );
}

/** A TCP server that accepts and never answers the WebSocket upgrade. */
async function silentServer(): Promise<{ port: number; server: Server }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as { port: number }).port, server };
}

function noTraceback(run: Run): void {
  expect(run.stderr).not.toMatch(/Traceback|KeyboardInterrupt/);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

describe.runIf(hasPython())('emulate', () => {
  it('Ctrl-C after it connected: the final table, exit 0, no Python or Node traceback', async () => {
    const relay: RelayHandle = await startRelay({ port: 0, host: '127.0.0.1', quiet: true });
    cleanups.push(() => relay.close());
    const run = await emulate(['--url', relay.url], (out) => /  connected  /.test(out.stdout));
    expect(run.code).toBe(0);
    noTraceback(run);
    expect(run.stderr).toBe('');
  }, 40_000);

  it('a relay that never answers: exit 1 with one line, after --duration', async () => {
    const { port } = await silentServer();
    const run = await emulate(['--url', `ws://127.0.0.1:${port}`, '--duration', '2']);
    expect(run.code).toBe(1);
    noTraceback(run);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^tdcrowd emulate: could not connect to ws:\/\/127\.0\.0\.1:\d+/)]);
  }, 40_000);

  it('Ctrl-C before it ever connected: exit 1, no traceback', async () => {
    const { port } = await silentServer();
    const run = await emulate(['--url', `ws://127.0.0.1:${port}`], (out) => out.stdout.length > 0);
    expect(run.code).toBe(1);
    noTraceback(run);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^tdcrowd emulate: could not connect/)]);
  }, 40_000);
});
