/**
 * `tdcrowd relay --workers 2 --redis URL` as a user runs it (the built CLI, a real redis-server): both workers
 * serve on one port, /healthz and /metrics answer for the machine, one generated sink token, per-address caps
 * across workers, one log per worker, an orderly SIGTERM, and a killed worker replaced.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasRedisServer } from '../helpers/requirements.js';
import type { WebSocket } from 'ws';
import { Peer, upgrade } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';
import { controllersOf, keep, phone, redisUrl, run, startMachine, useWorkerMachines } from '../helpers/workers.js';

useWorkerMachines();
const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}


// Each test starts a machine of three processes: allow for a loaded CI machine.
describe.skipIf(!hasRedisServer())('relay --workers', { timeout: 60_000 }, () => {
  it('refuses more than one worker without --redis: one line on stderr, exit 2', async () => {
    const r = run(['--workers', '2', '--port', '0']);
    const { code } = await r.exited;
    expect(code).toBe(2);
    expect(r.stderr()).toMatch(/^tdcrowd: --workers 2 needs --redis redis:\/\/HOST:PORT[^\n]*\n$/);
    expect(r.stdout()).toBe('');
    const bad = run(['--workers', '0', '--redis', redisUrl()]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toMatch(/^tdcrowd: --workers must be an integer from 1 to 64[^\n]*\n$/);
  });

  it('a port in use or a log that cannot be written: one line on stderr, exit 2', async () => {
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
    try {
      const r = run(['--workers', '2', '--redis', redisUrl(), '--port', String(port), '--host', '127.0.0.1']);
      const { code } = await r.exited;
      expect({ code, stderr: r.stderr() }).toEqual({ code: 2, stderr: `tdcrowd: port ${port} is in use (try --port)\n` });
    } finally {
      taken.close();
    }
    const log = join(dir, 'missing', 'relay.jsonl');
    const r = run(['--workers', '2', '--redis', redisUrl(), '--port', String(await freePort()), '--host', '127.0.0.1', '--log', log]);
    const { code } = await r.exited;
    expect({ code, stderr: r.stderr() }).toEqual({ code: 2, stderr: expect.stringMatching(/^tdcrowd: cannot write the log \S+missing\/relay-w\d\.jsonl: its folder does not exist \(ENOENT\)\n$/) });
  });

  it('both workers serve one port; /healthz and /metrics answer for the whole machine; one banner', async () => {
    const m = await startMachine();
    expect(m.stdout().match(/Phones join at/g)).toHaveLength(1);
    // Requests on connections of their own are answered by both workers, each naming itself.
    const answeredBy = new Set<number>();
    for (let i = 0; i < 6; i++) answeredBy.add((await m.health()).worker.pid);
    expect([...answeredBy].sort()).toEqual([...m.pids].sort());

    for (let i = 0; i < 6; i++) expect((await phone(m.url, `p${i}`, `127.0.0.${i + 2}`)).answer).toBe('welcome');
    const h = await until(async () => {
      const x = await m.health();
      return x.users === 6 ? x : undefined;
    }, 'six users on the machine');
    expect(h.connections.controller).toBe(6);
    expect(h.workers.map((w) => w.answered)).toEqual([true, true]);
    // The phones went to both workers, and the machine's answer is their sum.
    const each = controllersOf(h);
    expect(each.every((n) => n > 0)).toBe(true);
    expect(each.reduce((a, b) => a + b, 0)).toBe(6);

    // Both workers answer for the page (a worker too slow to answer within the primary's wait is left out).
    const metrics = await until(async () => {
      const x = await m.metrics();
      return x.get('tdcrowd_workers') === 2 ? x : undefined;
    }, 'both workers in /metrics');
    expect(metrics.connections.controller).toBe(6);
    expect(metrics.users).toBe(6);
    expect(metrics.messagesIn).toBeGreaterThanOrEqual(6);
    expect(metrics.get('tdcrowd_workers')).toBe(2);
    for (const [i, pid] of m.pids.entries()) {
      expect(metrics.get(`tdcrowd_worker_up{worker="${i + 1}",pid="${pid}"}`)).toBe(1);
      expect(metrics.get(`process_resident_memory_bytes{worker="${i + 1}"}`)).toBeGreaterThan(0);
    }
    expect(metrics.text.match(/^# TYPE tdcrowd_connections gauge$/gm)).toHaveLength(1);
  });

  it('one --sink-token auto, printed once, admits sinks on every worker', async () => {
    const m = await startMachine(['--sink-token', 'auto', '--max-sinks', '8']);
    await until(() => m.stdout().includes('sink token: '), 'the token line');
    const tokens = [...m.stdout().matchAll(/sink token: (\S+)/g)].map((x) => x[1]);
    expect(tokens).toHaveLength(1);
    const token = tokens[0]!;
    expect((await m.health()).status).toBe('degraded');
    // Opened one after another with nothing in between, they alternate between the workers. Each from an address
    // of its own, so the per-address hello and snapshot budgets stay out of the way.
    const sinks: Peer[] = [];
    for (let i = 1; i <= 4; i++) {
      const s = await Peer.open(m.url, { localAddress: `127.0.3.${i}` });
      keep(s);
      sinks.push(s);
      s.send({ type: 'hello', role: 'sink', token });
    }
    const h = await until(async () => {
      const x = await m.health();
      return x.sinks.websocket === 4 ? x : undefined;
    }, 'four sinks to be admitted');
    for (const s of sinks) expect(s.ofType('error')).toEqual([]);
    expect(h.workers.map((w) => w.sinks)).toEqual([2, 2]);
    expect(h.status).toBe('ok');
    // A wrong token is refused, whichever worker takes it.
    for (let i = 0; i < 2; i++) {
      const wrong = await Peer.open(m.url);
      keep(wrong);
      wrong.send({ type: 'hello', role: 'sink', token: 'x'.repeat(32) });
      expect((await wrong.waitForMessage((x) => x.type === 'error', 'the refusal')).code).toBe('unauthorized');
    }
  });

  it('--max-per-address holds across workers: for phones, and for connections that have not said who they are', async () => {
    const m = await startMachine(['--max-per-address', '2']);
    // One after another, the attempts alternate between the workers: per worker alone, four would get in.
    const answers: string[] = [];
    const welcomed: Peer[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await phone(m.url, `fam${i}`, '127.0.0.9');
      answers.push(p.answer);
      if (p.answer === 'welcome') welcomed.push(p.peer);
    }
    expect(answers.filter((a) => a === 'welcome')).toHaveLength(2);
    expect(answers.filter((a) => a === 'address_full')).toHaveLength(4);
    // A phone that leaves frees its place on the machine.
    welcomed[0]!.close();
    await until(async () => (await m.health()).connections.controller === 1, 'the phone to be gone');
    expect((await phone(m.url, 'fam-next', '127.0.0.9')).answer).toBe('welcome');

    const silent: WebSocket[] = [];
    for (let i = 0; i < 2; i++) {
      const u = await upgrade(m.url, '127.0.0.10');
      expect(u.outcome).toBe('open');
      silent.push(u.ws);
    }
    for (let i = 0; i < 2; i++) {
      const u = await upgrade(m.url, '127.0.0.10');
      expect(u.outcome).toBe('HTTP 429');
      u.ws.terminate();
    }
    expect((await upgrade(m.url, '127.0.0.11')).outcome).toBe('open');
    for (const ws of silent) ws.terminate();
  });

  it('one log per worker (suffixed), and SIGTERM closes every worker in order', async () => {
    const log = join(dir, 'show.jsonl');
    const m = await startMachine(['--log', log]);
    const phones: Peer[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await phone(m.url, `log${i}`, `127.0.1.${i + 1}`);
      expect(p.answer).toBe('welcome');
      phones.push(p.peer);
    }
    expect(controllersOf(await m.health()).every((n) => n > 0)).toBe(true);
    m.child.kill('SIGTERM');
    expect(await m.exited).toEqual({ code: 0, signal: null });
    for (const p of phones) {
      await p.waitClosed();
      expect(p.closeCode).toBe(1001);
    }
    for (const pid of m.pids) expect(alive(pid)).toBe(false);
    expect(m.stderr()).toMatch(/SIGTERM, closing connections on 2 workers/);
    expect(readdirSync(dir).filter((f) => f.startsWith('show')).sort()).toEqual(['show-w1.jsonl', 'show-w2.jsonl']);
    for (const f of ['show-w1.jsonl', 'show-w2.jsonl']) {
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      const lines = readFileSync(join(dir, f), 'utf8').trim().split('\n');
      // Each worker logged its own phones' connects.
      expect(lines.some((l) => (JSON.parse(l) as { msg: { type?: string } }).msg.type === 'connect')).toBe(true);
    }
  });

  it('a killed worker is replaced, and the places its phones held are free again', async () => {
    const m = await startMachine(['--max-per-address', '1']);
    // A phone on a worker that is killed loses its connection without a close, as a phone would.
    expect((await phone(m.url, 'solo', '127.0.0.20')).answer).toBe('welcome');
    const h = await until(async () => {
      const x = await m.health();
      return x.users === 1 ? x : undefined;
    }, 'the phone on the machine');
    const victim = h.workers.find((w) => (w.connections?.controller ?? 0) === 1)!;
    process.kill(victim.pid, 'SIGKILL');
    const after = await until(
      async () => {
        const x = await m.health().catch(() => undefined);
        const w = x?.workers.find((y) => y.worker === victim.worker);
        return w !== undefined && w.answered && w.pid !== victim.pid ? x : undefined;
      },
      'a new worker in place of the killed one',
      20_000,
    );
    expect(after.workers.map((w) => w.answered)).toEqual([true, true]);
    expect(alive(victim.pid)).toBe(false);
    expect(m.stderr()).toContain(`worker ${victim.worker} (pid ${victim.pid}) exited (SIGKILL); starting another`);
    // With --max-per-address 1, a place the dead worker's phone kept would refuse this one.
    expect((await phone(m.url, 'solo-again', '127.0.0.20')).answer).toBe('welcome');
  });
});
