/**
 * `relay --log` (issue 11, part 3): the log keeps no secrets, is private to its owner, never truncates a running
 * relay's log, stays bounded (rotation, sampled drops with counts) and never takes the relay down
 * (`--log /dev/full`). What it writes stays readable by `validate` and `simulate --replay`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions } from 'ws';
import { isLogEntry, LOG_DROPS_BURST, REDACTED_PATTERN, TOKEN_PATTERN, type LogEntry } from '../../src/protocol/index.js';
import { startRelay, type RelayHandle, type RelayOptions } from '../../src/relay/index.js';
import { planReplay } from '../../src/simulate/index.js';
import { validateFiles } from '../../src/validate/index.js';
import { recordFigures } from '../helpers/figures.js';
import { CLI } from '../helpers/paths.js';
import { claim, Peer } from '../helpers/peers.js';
import { update } from '../helpers/messages.js';
import { freePort } from '../helpers/ports.js';
import { spawnRelay } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

const SINK_TOKEN = 'the-real-sink-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch {
      // best effort
    }
  }
});

async function relayWith(options: Partial<RelayOptions>): Promise<RelayHandle> {
  const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, ...options });
  cleanups.push(() => relay.close());
  return relay;
}

async function open(url: string, options?: ClientOptions): Promise<Peer> {
  const p = await Peer.open(url, options);
  cleanups.push(() => p.close());
  return p;
}

function entries(file: string): LogEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown)
    .filter(isLogEntry);
}

describe('secrets', () => {
  it('sink tokens (right and wrong) and resume tokens never reach the log; the redacted form is stable and valid', async () => {
    const file = join(dir, 'secrets.jsonl');
    const relay = await relayWith({ log: file, sinkToken: SINK_TOKEN });
    const wrong = await open(relay.url);
    wrong.send({ type: 'hello', role: 'sink', token: 'a-wrong-guess-0123456789' });
    await wrong.waitClosed();
    // the wrong guess put 127.0.0.1 in the relay's hello back-off: the real sink comes from another address
    const sink = await open(relay.url, { localAddress: '127.0.0.2' });
    sink.send({ type: 'hello', role: 'sink', token: SINK_TOKEN });
    const first = await claim(relay.url, 'victim');
    cleanups.push(() => first.close());
    // the phone comes back on a new socket with its resume token, and gets a fresh one
    const second = await open(relay.url);
    second.send({ type: 'connect', sliderId: 'victim', resume: first.resume! });
    const welcome = await until(() => second.messages.find((m) => m.type === 'welcome'), 'the second welcome');
    const fresh = String(welcome.resume);
    // a malformed hello (not JSON) with the token in it is a drop, logged as text: redacted all the same
    sink.send(`{"type":"hello","role":"sink","token":"${SINK_TOKEN}"`);
    second.send(update('victim', 3, 4));
    await until(() => sink.ofType('update').length === 1, 'the update at the sink');
    await until(() => relay.metrics().dropped.not_json === 1, 'the malformed hello dropped');
    await relay.close();

    const text = readFileSync(file, 'utf8');
    for (const secret of [SINK_TOKEN, 'a-wrong-guess-0123456789', first.resume!, fresh]) expect(text).not.toContain(secret);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');

    const log = entries(file);
    const redacted = (m: unknown, key: string): string => String((m as Record<string, unknown>)[key]);
    const welcomes = log.filter((e) => e.dir === 'out' && (e.msg as { type?: string }).type === 'welcome').map((e) => redacted(e.msg, 'resume'));
    const resumes = log.filter((e) => e.dir === 'in' && (e.msg as { resume?: string }).resume !== undefined).map((e) => redacted(e.msg, 'resume'));
    const hellos = log.filter((e) => (e.msg as { type?: string }).type === 'hello').map((e) => redacted(e.msg, 'token'));
    expect(welcomes).toHaveLength(2);
    expect(resumes).toHaveLength(1);
    expect(hellos).toHaveLength(2);
    for (const r of [...welcomes, ...resumes, ...hellos]) {
      expect(r).toMatch(new RegExp(REDACTED_PATTERN));
      expect(r).toMatch(new RegExp(TOKEN_PATTERN));
    }
    // the resume matches the welcome that handed it out; the fresh token reads differently
    expect(resumes[0]).toBe(welcomes[0]);
    expect(welcomes[1]).not.toBe(welcomes[0]);
    expect(hellos[0]).not.toBe(hellos[1]);
    const malformed = log.find((e) => e.drop === 'not_json');
    expect(malformed?.msg).toMatch(/"token":"redacted-[A-Za-z0-9_-]{12}"$/);

    // still a valid log for validate (the wrong guess and the malformed hello are the relay's own drops)
    const report = await validateFiles([file]);
    expect(report.violations.filter((v) => v.severity === 'error' && v.dropped === undefined)).toEqual([]);
    expect(planReplay(text, 1).connections.length).toBeGreaterThan(0);
  });

  it('a resume token read from the log takes over nothing', async () => {
    const file = join(dir, 'takeover.jsonl');
    const relay = await relayWith({ log: file });
    const victim = await claim(relay.url, 'held');
    cleanups.push(() => victim.close());
    await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('"welcome"'), 'the welcome in the log', 5000);
    const logged = entries(file).find((e) => (e.msg as { type?: string }).type === 'welcome')!;
    const attacker = await open(relay.url);
    attacker.send({ type: 'connect', sliderId: 'held', resume: (logged.msg as { resume: string }).resume });
    const refusal = await until(() => attacker.ofType('error')[0], 'the refusal');
    expect(refusal.code).toBe('bad_resume');
    expect(victim.closeCode).toBeUndefined();
  });
});

describe('appending', () => {
  it('keeps what the file holds and numbers connections after the previous run, so validate tells the runs apart', async () => {
    const file = join(dir, 'append.jsonl');
    for (let run = 0; run < 2; run++) {
      const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, log: file });
      const p = await claim(relay.url, `run-${run}`);
      p.send(update(`run-${run}`, 1, 1));
      await until(() => relay.metrics().messagesIn === 2, 'the update');
      p.close();
      await relay.close();
    }
    const log = entries(file);
    const conns = [...new Set(log.map((e) => e.conn))];
    expect(conns).toEqual([1, 2]);
    const report = await validateFiles([file]);
    expect(report.summary.errors).toBe(0);
  });

  it('a partial last line (a relay killed mid-write) stays a line of its own', async () => {
    const file = join(dir, 'partial.jsonl');
    writeFileSync(file, '{"ts":1,"dir":"in","conn":7,"role":"controller","msg":{"type":"conn');
    const relay = await relayWith({ log: file });
    await claim(relay.url, 'after').then((peer) => cleanups.push(() => peer.close()));
    await relay.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('{"ts":1,"dir":"in","conn":7,"role":"controller","msg":{"type":"conn');
    // every later line is a whole entry, numbered after the partial run's connection 7
    expect(lines.slice(1, -1).map((l) => (JSON.parse(l) as LogEntry).conn)).toEqual(expect.arrayContaining([8]));
  });

  it('--log-truncate starts the file empty; mode 0600 is set when the relay creates the file', async () => {
    const file = join(dir, 'truncate.jsonl');
    writeFileSync(file, '{"old":true}\n', { mode: 0o644 });
    const relay = await relayWith({ log: file, logAppend: false });
    await claim(relay.url, 'x').then((peer) => cleanups.push(() => peer.close()));
    await relay.close();
    expect(readFileSync(file, 'utf8')).not.toContain('"old"');
    const fresh = join(dir, 'fresh.jsonl');
    const r2 = await relayWith({ log: fresh });
    await r2.close();
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
  });

  it('a second relay on a busy port fails before it touches the running relay\'s log', async () => {
    const file = join(dir, 'busy.jsonl');
    const running = await spawnRelay(['--log', file]);
    try {
      const p = await claim(running.url, 'kept');
      p.send(update('kept', 1, 2));
      await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('"kept"'), 'the running relay\'s lines', 5000);
      const before = readFileSync(file);
      const second = spawnSync(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', String(running.port), '--log', file, '--log-truncate', '--quiet'], { encoding: 'utf8', timeout: 20_000 });
      expect(second.status).toBe(2);
      expect(second.stderr).toMatch(/port \d+ is in use/);
      const after = readFileSync(file);
      expect(after.subarray(0, before.length).equals(before)).toBe(true);
      expect(after.includes(0)).toBe(false);
      p.close();
    } finally {
      await running.stop();
    }
  });
});

describe('bounded', () => {
  it('rotates past the size cap; validate reads the rotated set in order as one log', async () => {
    const file = join(dir, 'rotate.jsonl');
    const maxBytes = 200 * 1024;
    const relay = await relayWith({ log: file, logMaxBytes: maxBytes, logKeep: 3, rate: 10_000, burst: 10_000 });
    const sink = await open(relay.url);
    sink.send({ type: 'hello', role: 'sink' });
    const phone = await claim(relay.url, 'rotating');
    cleanups.push(() => phone.close());
    // ~1.4 MB of log: each update is logged in and out
    const n = 6000;
    for (let i = 0; i < n; i++) phone.send(update('rotating', (i % 340) - 170, 0, { seq: i }));
    await until(() => sink.ofType('update').length === n, 'every update at the sink', 30_000);
    await relay.close();

    const set = [`${file}.3`, `${file}.2`, `${file}.1`, file];
    for (const f of set) expect(existsSync(f), f).toBe(true);
    expect(existsSync(`${file}.4`)).toBe(false);
    for (const f of set) expect(statSync(f).size, f).toBeLessThanOrEqual(maxBytes);
    recordFigures('log', { rotationCapBytes: maxBytes, rotatedSetBytes: set.map((f) => statSync(f).size) });
    // oldest first: the seqs the set holds run in order across the files (the oldest were rotated away)
    const seqs = set.flatMap((f) => entries(f).filter((e) => e.dir === 'in' && (e.msg as { seq?: number }).seq !== undefined).map((e) => (e.msg as { seq: number }).seq));
    expect(seqs.at(-1)).toBe(n - 1);
    expect(seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1)).toBe(true);

    const report = await validateFiles([file], { rate: 10_000, burst: 10_000 });
    expect(report.files.map((f) => f.file)).toEqual(set);
    expect(report.summary.errors).toBe(0);
    // The phone's connect was rotated away: the oldest kept file starts mid-connection (one warning there). Its
    // later files are the same stream, so the connection is not flagged again in each of them.
    expect(report.violations.map((v) => [v.rule, v.file])).toEqual([['not_connected', `${file}.3`]]);
  }, 60_000);

  it('drops are logged sampled per connection, and the counts add up to what /metrics counted', async () => {
    const file = join(dir, 'drops.jsonl');
    const relay = await relayWith({ log: file, rate: 100_000, burst: 100_000 });
    const junk = await open(relay.url);
    const n = 3000;
    for (let i = 0; i < n; i++) junk.send(`junk ${i} ${'x'.repeat(200)}`);
    const other = await open(relay.url);
    for (let i = 0; i < 3; i++) other.send('[1]');
    await until(() => relay.metrics().dropped.not_json === n && relay.metrics().dropped.not_object === 3, 'every drop counted', 20_000);
    // the flood's line count is sampled while the connection lives ...
    await until(() => existsSync(file) && entries(file).filter((e) => e.drop === 'not_json').length >= LOG_DROPS_BURST, 'the first drops logged', 5000);
    junk.close();
    other.close();
    await until(() => relay.metrics().connections.unknown === 0, 'both gone');
    await relay.close();
    const drops = entries(file).filter((e) => e.drop !== undefined);
    const flood = drops.filter((e) => e.drop === 'not_json');
    expect(flood.length).toBeLessThan(LOG_DROPS_BURST + 30);
    // ... and accounted in full: 1 + skipped per line
    expect(flood.reduce((a, e) => a + 1 + (e.skipped ?? 0), 0)).toBe(n);
    recordFigures('log', { floodDrops: n, floodDropLines: flood.length, floodLogBytes: statSync(file).size });
    expect(drops.filter((e) => e.drop === 'not_object').map((e) => e.skipped ?? 0)).toEqual([0, 0, 0]);
    const report = await validateFiles([file]);
    expect(report.violations.filter((v) => v.rule === 'envelope')).toEqual([]);
  }, 30_000);
});

describe('write errors', () => {
  it('--log /dev/full: one line on stderr at once, the relay keeps serving, the errors are in /metrics', async () => {
    if (!existsSync('/dev/full')) return expect(process.platform).not.toBe('linux');
    const port = await freePort();
    const proc = spawn(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', String(port), '--quiet', '--log', '/dev/full'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    cleanups.push(() => proc.kill('SIGKILL'));
    const url = `ws://127.0.0.1:${port}`;
    const sink = await until(async () => Peer.open(url).catch(() => undefined), 'the relay up');
    cleanups.push(() => sink.close());
    sink.send({ type: 'hello', role: 'sink' });
    const phone = await claim(url, 'full');
    cleanups.push(() => phone.close());
    await until(() => stderr.includes('cannot write the log'), 'the warning', 5000);
    for (let i = 0; i < 50; i++) phone.send(update('full', i, 0));
    await until(() => sink.ofType('update').length === 50, 'updates still forwarded');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(Number(/^tdcrowd_log_write_errors_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/^tdcrowd_log_lines_lost_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(proc.exitCode).toBeNull();
    const lines = stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tdcrowd relay: cannot write the log \/dev\/full \(ENOSPC\); the relay keeps running/);
    expect(lines[0]).not.toMatch(/ at /);
  }, 30_000);
});
