/**
 * The servers under test, each in its own child process so its CPU and memory can be read from /proc without
 * the load generator's work mixed in: the relay (through the real CLI), the bare `ws` forwarder baseline and a
 * discard server. Every child is bound to 127.0.0.1 and killed by pid when the benchmark is done with it.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export const ROOT = new URL('../../', import.meta.url).pathname;
/** Development on a busy tree: BENCH_DIST=bench/out/snap/dist runs a frozen build instead of dist/. */
export const CLI = `${process.env.BENCH_DIST ?? 'dist'}/cli/main.js`;

/** A port nobody listens on right now (the relay's CLI wants a number; 0 would hide the port from us). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node args...` in the repo root and resolves once `ready(stdout so far)` returns a port.
 * @returns {{ pid: number, port: number, url: string, command: string, stop: () => Promise<void>, child }}
 */
function startChild(args, ready, { timeoutMs = 10_000, port } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start in ${timeoutMs} ms: ${err || out}`));
    }, timeoutMs);
    const check = () => {
      const p = ready(out) ?? port;
      if (p === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', onOut);
      child.stdout.resume();
      resolve({
        child,
        pid: child.pid,
        port: p,
        url: `ws://127.0.0.1:${p}`,
        httpUrl: `http://127.0.0.1:${p}`,
        command: ['node', ...args].join(' '),
        stderr: () => err,
        stop: () => stopChild(child),
      });
    };
    const onOut = (d) => {
      out += d;
      check();
    };
    child.stdout.on('data', onOut);
    child.stderr.on('data', (d) => {
      if (err.length < 20_000) err += d;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code}) before it was ready: ${err || out}`));
    });
    if (port !== undefined) waitForPort(port, timeoutMs).then(check, () => undefined);
  });
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing answered on port ${port}`);
}

/**
 * Benchmarks measure throughput, not the per-address cap: the load comes from one machine (even spread over
 * 127.0.0.2–254, 5000 idle phones are 20 per address), so the cap is set out of the way.
 */
const UNCAPPED = ['--max-per-address', '1000000'];

/**
 * The relay, as `tdcrowd relay` runs it. `extra` are further CLI flags (e.g. ['--mode', 'broadcast']).
 * `dist`: another build's dist/ (e.g. one from before a change, for a before/after ratio); it gets no flags but
 * `extra`, since an older build may not know the newer ones.
 */
export async function startRelay(extra = [], { dist } = {}) {
  const port = await freePort();
  const cli = dist === undefined ? CLI : `${dist}/cli/main.js`;
  const flags = dist === undefined ? [...UNCAPPED, ...extra] : extra;
  return startChild([cli, 'relay', '--host', '127.0.0.1', '--port', String(port), '--quiet', ...flags], () => undefined, { port });
}

const listening = (out) => {
  const m = /listening (\d+)/.exec(out);
  return m ? Number(m[1]) : undefined;
};

/** The bare `ws` forwarder (bench/bare-forwarder.mjs). */
export function startBare(extra = []) {
  return startChild(['bench/bare-forwarder.mjs', ...extra], listening);
}

/** A `ws` server that reads every frame and throws it away (bench/discard-server.mjs). */
export function startDiscard() {
  return startChild(['bench/discard-server.mjs'], listening);
}

/** GET /healthz of a relay. */
export async function healthz(server) {
  const res = await fetch(`${server.httpUrl}/healthz`);
  return res.json();
}
