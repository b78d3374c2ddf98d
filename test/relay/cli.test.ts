/**
 * `tdcrowd relay` as a user runs it: the built CLI (`npm run build` first; `npm test` does).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLogEntry } from '../../src/protocol/index.js';
import { fetchText } from '../helpers/http.js';
import { update } from '../helpers/messages.js';
import { Peer } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';
import { CLI } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-relay-cli-'));
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(CLI) || !existsSync(fileURLToPath(new URL('../../dist/relay/index.js', import.meta.url)))) {
    throw new Error('dist/ is missing the relay: run `npm run build` first (npm test does)');
  }
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'relay', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const port = await until(() => {
    if (child.exitCode !== null) throw new Error(`relay exited ${child.exitCode}: ${err}`);
    const m = /listening on [^\s]+:(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  }, 'the banner', 20_000);
  // The banner is written in one piece, but give the pipe a moment to deliver all of it.
  await until(() => out.includes('In TouchDesigner'), 'the whole banner');
  return { child, port, stdout: () => out, stderr: () => err, exited };
}

describe('tdcrowd relay (CLI)', () => {
  it('prints the banner, serves the page and the WebSocket, and exits 0 on SIGTERM after closing clients (1001) and flushing the log', async () => {
    const log = join(dir, 'cli.jsonl');
    const r = await run(['--port', '0', '--host', '127.0.0.1', '--log', log]);
    const out = r.stdout();
    expect(out).toContain('Phones join at:');
    expect(out).toContain(`http://127.0.0.1:${r.port}/`);
    expect(out).toContain(`In TouchDesigner: WebSocket DAT → Network Address 127.0.0.1, Network Port ${r.port}`);
    expect(out).toContain(`npx tdcrowd generate --host 127.0.0.1 --port ${r.port}, paste td/install.py`);
    // Not a terminal, and bound to loopback: no QR code, no ANSI colours, a hint instead.
    expect(out).not.toMatch(/[▄▀█]{3}/);
    expect(out).not.toContain('\x1b[');
    expect(out).toContain('this machine only: use --host 0.0.0.0');

    const page = await fetchText(`http://127.0.0.1:${r.port}/`);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    const health = JSON.parse((await fetchText(`http://127.0.0.1:${r.port}/healthz`)).body) as { ok: boolean; mode: string };
    expect(health).toMatchObject({ ok: true, mode: 'route' });

    const sink = await Peer.open(`ws://127.0.0.1:${r.port}`);
    sink.send({ type: 'hello', role: 'sink' });
    const phone = await Peer.open(`ws://127.0.0.1:${r.port}/any/path`);
    phone.send({ type: 'connect', sliderId: 1 });
    phone.send(update(1, 5));
    await sink.waitForMessage((m) => m.x === 5, 'the update at the sink');

    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    await sink.waitClosed();
    await phone.waitClosed();
    expect(sink.closeCode).toBe(1001);
    expect(phone.closeCode).toBe(1001);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines.every(isLogEntry)).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ dir: 'in', role: 'controller', msg: update(1, 5) }));
    expect(lines).toContainEqual(expect.objectContaining({ dir: 'out', role: 'sink', msg: update(1, 5) }));
  });

  it('takes the port from PORT when --port is not given', async () => {
    const r = await run(['--host', '127.0.0.1', '--mode', 'broadcast'], { PORT: '0' });
    expect(r.port).not.toBe(8080);
    expect(r.stdout()).toContain('broadcast mode');
    // Broadcast mode without a token lets every client read the crowd: the operator is told at start.
    await until(() => r.stdout().includes('warning: broadcast mode'), 'the broadcast warning');
    expect(r.stdout()).toMatch(/warning: broadcast mode: every connected client, any phone included, receives every user's id and position/);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
  });

  it.each([
    [['--mode', 'fanout'], /--mode/],
    [['--port', 'abc'], /--port/],
    [['--port', '70000'], /--port/],
    [['--rate', '-1'], /--rate/],
    [['--heartbeat', '0'], /--heartbeat/],
    [['--max-payload', '10'], /--max-payload/],
    [['--max-controllers', '1.5'], /--max-controllers/],
    [['--origin', 'not-a-url'], /--origin/],
    [['--sink-token', ''], /--sink-token/],
    [['--sink-token', 'fifteen-chars!!'], /--sink-token must be 16 to 256 characters/],
    [['--max-per-address', '0'], /--max-per-address/],
    [['--max-sinks', '0'], /--max-sinks/],
    [['--sink-from', '999.1.1.1'], /--sink-from: not an address or CIDR block: "999\.1\.1\.1"/],
    [['--trust-proxy', '10.0.0.0/99'], /--trust-proxy/],
  ])('bad value %j: usage error, exit 2', (args, message) => {
    const r = spawnSync(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', '0', ...args], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).not.toContain('Phones join at');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--sink-token auto prints the token it made, even with --quiet, and a sink from another address gets in with it', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', String(port), '--quiet', '--sink-token', 'auto'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const token = await until(() => /^sink token: ([A-Za-z0-9_-]{32}) \(generate the callbacks with --sink-token \1\)$/m.exec(out)?.[1], 'the token line', 20_000);
    const s = await Peer.open(`ws://127.0.0.1:${port}`, { localAddress: '127.0.0.2' });
    s.send({ type: 'hello', role: 'sink', token });
    const phone = await Peer.open(`ws://127.0.0.1:${port}`);
    phone.send({ type: 'connect', sliderId: 'a' });
    phone.send(update('a', 9));
    await s.waitForMessage((m) => m.x === 9, 'the update at the sink admitted with the printed token');
    s.close();
    phone.close();
  });
});

/** A port nobody listens on right now (with --quiet there is no banner to read the port from). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
