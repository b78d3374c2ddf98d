/**
 * The virtual phones spread over 127.0.0.2–127.0.0.254 when the relay is on IPv4 loopback, so a relay capping
 * controllers per address does not cap a benchmark. Checked from the server's side: a plain `ws` server on
 * 127.0.0.1 records the remote address of every connection, and the report's count per source address must
 * be exactly what it saw.
 */
import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { isIpv4Loopback, planSources, sourceFor, SPREAD_FIRST, SPREAD_LAST } from '../../src/simulate/source-addresses.js';
import { simulate } from './helpers/run.js';
import { CLI, ROOT } from '../helpers/paths.js';


interface Watcher {
  url: string;
  /** Remote address of each connection, in arrival order. */
  remotes: string[];
  close(): Promise<void>;
}

/** A plain `ws` server that accepts anyone and notes where each connection came from. */
async function watcher(host: string): Promise<Watcher> {
  const wss = new WebSocketServer({ port: 0, host });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const remotes: string[] = [];
  wss.on('connection', (_ws, req: IncomingMessage) => remotes.push(req.socket.remoteAddress ?? '?'));
  const { port } = wss.address() as { port: number };
  return {
    url: host.includes(':') ? `ws://[${host}]:${port}` : `ws://${host}:${port}`,
    remotes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

function tally(addresses: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of addresses) out[a] = (out[a] ?? 0) + 1;
  return out;
}

let server: Watcher | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('source addresses: the plan', () => {
  const canBind = async (): Promise<boolean> => true;

  it('spreads for IPv4 loopback targets, anywhere in 127.0.0.0/8', async () => {
    for (const url of ['ws://127.0.0.1:8080', 'ws://127.1.2.3:9', 'wss://127.0.0.1/x']) {
      expect(await planSources(url, canBind), url).toEqual({ spread: true, range: '127.0.0.2-127.0.0.254' });
    }
  });

  it('localhost spreads exactly when it resolves to an IPv4 loopback address here', async () => {
    const first = (await lookup('localhost')).address;
    const plan = await planSources('ws://localhost:8080', canBind);
    expect(plan.spread).toBe(isIpv4Loopback(first));
  });

  it('IPv6 loopback cannot be spread (one address) and says so; the report treats it as loopback', async () => {
    const plan = await planSources('ws://[::1]:8080', canBind);
    expect(plan).toMatchObject({ spread: false, loopback: true });
    expect(!plan.spread && plan.reason).toMatch(/IPv6 loopback \(::1\).*use ws:\/\/127\.0\.0\.1/);
  });

  it('a relay on another machine is not spread (it sees this machine either way); nothing is sent to decide', async () => {
    expect(await planSources('ws://10.99.99.99:8080', canBind)).toMatchObject({ spread: false, loopback: false });
    expect(await planSources('ws://[2001:db8::1]:8080', canBind)).toMatchObject({ spread: false, loopback: false });
  });

  it('a system that refuses 127.0.0.2 as a source falls back to 127.0.0.1 and says why', async () => {
    const plan = await planSources('ws://127.0.0.1:8080', async () => false);
    expect(plan).toMatchObject({ spread: false, loopback: true });
    expect(!plan.spread && plan.reason).toMatch(/127\.0\.0\.2/);
  });

  it('user n always gets the same address, round robin over the 253 addresses', () => {
    const plan = { spread: true as const, range: '' };
    expect(sourceFor(plan, 0)).toEqual({ localAddress: `127.0.0.${SPREAD_FIRST}`, family: 4 });
    expect(sourceFor(plan, 252)).toEqual({ localAddress: `127.0.0.${SPREAD_LAST}`, family: 4 });
    expect(sourceFor(plan, 253)).toEqual(sourceFor(plan, 0));
    expect(sourceFor({ spread: false, reason: 'x', loopback: false }, 5)).toEqual({});
  });
});

describe('source addresses: what the server sees', () => {
  it('300 phones against a server on 127.0.0.1 arrive from 253 addresses in 127.0.0.2–254, at most 2 each; the report counts the same', async () => {
    server = await watcher('127.0.0.1');
    const { report } = await simulate({ url: server.url, users: '300', rate: '1', duration: '1.5', ramp: '0.5' });
    expect(server.remotes).toHaveLength(300);
    const seen = tally(server.remotes);
    expect(Object.keys(seen)).toHaveLength(253);
    for (const a of Object.keys(seen)) {
      const last = Number(a.split('.')[3]);
      expect(a.startsWith('127.0.0.') && last >= 2 && last <= 254, a).toBe(true);
    }
    expect(Math.max(...Object.values(seen))).toBe(2);
    expect(report.sourceAddresses).toMatchObject({ spread: true, range: '127.0.0.2-127.0.0.254', note: null, addresses: 253, maxPerAddress: 2 });
    expect(report.sourceAddresses.opens).toEqual(seen);
    // In address order, for a reader.
    expect(Object.keys(report.sourceAddresses.opens).slice(0, 3)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  });

  it('--threads 2 (the built CLI): the worker threads spread too, and their counts add up', async () => {
    server = await watcher('127.0.0.1');
    const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-sources-'));
    try {
      const file = join(dir, 'r.json');
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, [CLI, 'simulate', '--url', server!.url, '--users', '20', '--rate', '1', '--duration', '1', '--threads', '2', '--report', file, '--no-progress'], { cwd: ROOT, timeout: 45_000 }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      const report = JSON.parse(readFileSync(file, 'utf8')) as { sourceAddresses: { opens: Record<string, number>; addresses: number } };
      const seen = tally(server.remotes);
      expect(Object.keys(seen)).toHaveLength(20);
      expect(report.sourceAddresses.opens).toEqual(seen);
      expect(report.sourceAddresses.addresses).toBe(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a server on ::1: every phone comes from ::1, and the report warns that a per-address cap would bite', async () => {
    server = await watcher('::1');
    const { report } = await simulate({ url: server.url, users: '5', rate: '1', duration: '1' });
    expect(server.remotes).toEqual(['::1', '::1', '::1', '::1', '::1']);
    expect(report.sourceAddresses).toMatchObject({ spread: false, range: null, opens: { '::1': 5 }, addresses: 1, maxPerAddress: 5 });
    expect(report.warnings.some((w) => w.startsWith('every virtual phone connected from ::1') && w.includes('--max-per-address'))).toBe(true);
  });
});
