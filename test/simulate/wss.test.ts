/**
 * The simulator against a relay serving wss:// with a self-signed certificate: with --insecure or --ca FILE
 * every update arrives (sink, probe and phones all over TLS, on one thread and on several), and without either
 * the certificate is refused, so verification is never off by default.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { AdmissionError, OptionsError, resolveOptions } from '../../src/simulate/index.js';
import { CLI, requireBuiltCli } from '../helpers/paths.js';
import { simulate } from './helpers/run.js';

const LOOPBACK = { port: 0, host: '127.0.0.1', quiet: true, maxPerAddress: 10_000, tlsSelfSigned: true } as const;
const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-wss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let relay: RelayHandle | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

describe('simulate over wss://', () => {
  it('--insecure: 30 users × 20 Hz, every update delivered once, in order, hues validated at the sink', async () => {
    relay = await startRelay({ ...LOOPBACK });
    expect(relay.url.startsWith('wss://')).toBe(true);
    const { report } = await simulate({ url: relay.url, insecure: true, users: '30', rate: '20', duration: '2', sink: true });
    // Every phone sent (each TLS handshake costs the 2-core machine time, so not every one for the whole 2 s).
    expect(report.sent).toBeGreaterThan(30);
    expect(report.deliveryRatio).toBe(1);
    expect(report.delivered).toBe(report.sent);
    expect(report.duplicates).toBe(0);
    expect(report.outOfOrder).toBe(0);
    expect(report.ghostUsers).toBe(0);
    expect(report.sink?.invalidFrames).toEqual({});
    expect(report.sink?.connects).toBe(30);
    expect(report.sink?.connectsWithHue).toBe(30);
  });

  it('--ca FILE trusts the relay certificate: the built CLI on two generator threads, delivery 100 %', async () => {
    requireBuiltCli();
    relay = await startRelay({ ...LOOPBACK });
    const ca = join(dir, 'relay.pem');
    writeFileSync(ca, relay.tls!.cert);
    const out = join(dir, 'ca-report.json');
    const args = ['simulate', '--url', relay.url, '--ca', ca, '--users', '10', '--rate', '10', '--duration', '2', '--sink', '--threads', '2', '--no-progress', '--report', out];
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, ...args], { timeout: 45_000 }, (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }));
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.config.threads).toBe(2);
    expect(report.deliveryRatio).toBe(1);
    expect(report.delivered).toBe(report.sent);
    expect(report.sent).toBeGreaterThan(10);
  });

  it('without --insecure or --ca the self-signed certificate is refused', async () => {
    relay = await startRelay({ ...LOOPBACK });
    const run = simulate({ url: relay.url, users: '2', duration: '1', sink: true });
    await expect(run).rejects.toBeInstanceOf(AdmissionError);
    await expect(run).rejects.toThrow(/self[- ]signed/i);
  });

  it('checks the flags: a wss:// URL, one of the two, a CA file that holds a certificate', () => {
    expect(() => resolveOptions({ url: 'ws://127.0.0.1:1', insecure: true })).toThrow(OptionsError);
    expect(() => resolveOptions({ url: 'ws://127.0.0.1:1', insecure: true })).toThrow(/--insecure applies to a wss:\/\/ relay URL/);
    expect(() => resolveOptions({ url: 'wss://127.0.0.1:1', insecure: true, ca: 'x.pem' })).toThrow(/give one of them/);
    writeFileSync(join(dir, 'junk.pem'), 'junk');
    expect(() => resolveOptions({ url: 'wss://127.0.0.1:1', ca: join(dir, 'junk.pem') })).toThrow(/holds no PEM certificate/);
    expect(() => resolveOptions({ url: 'wss://127.0.0.1:1', ca: join(dir, 'missing.pem') })).toThrow(/--ca .*missing\.pem: cannot read it \(ENOENT\)/);
    expect(resolveOptions({ url: 'wss://127.0.0.1:1' }).tls).toEqual({ insecure: false, ca: undefined });
  });
});
