/**
 * HTTPS/WSS: a self-signed certificate made at start or one from files, served on the relay's port; phones over
 * wss reach a sink on the plain --local-port listener; certificate verification stays on for clients that are
 * not told otherwise; every problem with the files is one line and exit 2.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/relay/index.js';
import { machineNames, selfSignedTls } from '../../src/relay/tls.js';
import { update } from '../helpers/messages.js';
import { claim, Peer } from '../helpers/peers.js';
import { CLI } from '../helpers/paths.js';
import { useRelays } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

const { start, keep } = useRelays();
const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function httpsText(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** The SHA-256 fingerprint of the certificate a TLS server presents. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}

describe('relay over TLS', () => {
  it('--tls-self-signed: https page and healthz, wss phones, a sink on the plain local port gets their updates', async () => {
    const relay = await start({ tlsSelfSigned: true, localPort: 0 });
    expect(relay.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(relay.httpUrl).toMatch(/^https:\/\//);
    expect(relay.localUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const ca = relay.tls!.cert;
    // The certificate served is the one described, and it names loopback and localhost.
    expect(await servedFingerprint(relay.port)).toBe(relay.tls!.fingerprint256);
    const names = new X509Certificate(ca).subjectAltName ?? '';
    expect(names).toContain('DNS:localhost');
    expect(names).toContain('IP Address:127.0.0.1');

    const page = await httpsText(`${relay.httpUrl}/`, ca);
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="pad"');
    expect(JSON.parse((await httpsText(`${relay.httpUrl}/healthz`, ca)).body)).toMatchObject({ ok: true });

    const s = keep(await Peer.open(relay.localUrl!));
    s.send({ type: 'hello', role: 'sink' });
    await until(() => relay.metrics().connections.sink === 1 || undefined, 'the sink on the local port');
    const phone = keep(await claim(relay, 'tls-1', { ws: { ca } }));
    phone.send(update('tls-1', 40, -20));
    const got = await s.waitForMessage((m) => m.sliderId === 'tls-1' && m.x === 40, 'the phone update at the local sink');
    expect(got).toEqual(update('tls-1', 40, -20));
    expect(s.ofType('connect')).toEqual([{ type: 'connect', sliderId: 'tls-1', hue: phone.ofType('welcome')[0]!.hue }]);
  });

  it('a client that trusts nothing extra refuses the self-signed certificate: verification is on by default', async () => {
    const relay = await start({ tlsSelfSigned: true });
    await expect(Peer.open(relay.url)).rejects.toThrow(/self[- ]signed/i);
  });

  it('--tls-cert/--tls-key: serves the certificate from the files, fingerprint as described', async () => {
    const made = await selfSignedTls('127.0.0.1');
    writeFileSync(join(dir, 'cert.pem'), made.cert);
    writeFileSync(join(dir, 'key.pem'), made.key);
    const relay = await start({ tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem') });
    expect(relay.tls).toMatchObject({ fingerprint256: made.fingerprint256, selfSigned: false });
    expect(await servedFingerprint(relay.port)).toBe(made.fingerprint256);
    const phone = keep(await claim(relay, 'f', { ws: { ca: made.cert } }));
    expect(phone.ofType('welcome')).toHaveLength(1);
  });

  it('the local port listens on 127.0.0.1 only, not on every interface', async () => {
    const relay = await start({ tlsSelfSigned: true, localPort: 0 });
    const port = Number(new URL(relay.localUrl!).port);
    const { createConnection } = await import('node:net');
    const attempt = (host: string): Promise<string> =>
      new Promise((resolve) => {
        const c = createConnection({ port, host }, () => {
          resolve('connected');
          c.end();
        });
        c.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
    expect(await attempt('127.0.0.1')).toBe('connected');
    // Linux routes all of 127/8 to loopback: a listener on every interface would answer 127.0.0.2 too.
    expect(await attempt('127.0.0.2')).toBe('ECONNREFUSED');
  });

  it('a TLS handshake that never comes is cut after --headers-timeout, not held for minutes', async () => {
    const relay = await start({ tlsSelfSigned: true, headersTimeoutMs: 300, requestTimeoutMs: 300 });
    const { createConnection } = await import('node:net');
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const c = createConnection({ port: relay.port, host: '127.0.0.1' }); // says nothing: no ClientHello
      c.on('error', () => undefined);
      c.on('close', () => resolve(Date.now() - started));
      setTimeout(() => reject(new Error('the silent socket was still open after 5 s')), 5000).unref();
    });
    expect(closedAfter).toBeGreaterThanOrEqual(250);
    expect(closedAfter).toBeLessThan(5000);
  });

  it('names this machine: localhost, its host name, loopback and every non-internal address', () => {
    const names = machineNames('0.0.0.0', { eth0: [{ address: '192.168.1.20', netmask: '', family: 'IPv4', mac: '', internal: false, cidr: null }] }, 'stage-pc');
    expect(names.dns).toEqual(['localhost', 'stage-pc', 'stage-pc.local']);
    expect(names.ips).toEqual(['127.0.0.1', '::1', '192.168.1.20']);
    expect(machineNames('show.example.org', {}, 'x').dns).toContain('show.example.org');
  });

  it('option checks: cert and key together, not with --tls-self-signed; --local-port needs TLS and its own port', () => {
    expect(() => resolveOptions({ tlsCert: 'a.pem' })).toThrow(/--tls-cert and --tls-key go together/);
    expect(() => resolveOptions({ tlsCert: 'a', tlsKey: 'b', tlsSelfSigned: true })).toThrow(/not both/);
    expect(() => resolveOptions({ localPort: 9000 })).toThrow(/--local-port .* use it with --tls-cert/);
    expect(() => resolveOptions({ tlsSelfSigned: true, port: 9000, localPort: 9000 })).toThrow(/must differ from --port/);
    expect(() => resolveOptions({ tlsSelfSigned: true, localPort: 70000 })).toThrow(/--local-port must be an integer/);
  });
});

describe('relay TLS errors on the command line: one line, exit 2', () => {
  it.each([
    ['a missing certificate file', (d: string) => ['--tls-cert', join(d, 'nope.pem'), '--tls-key', join(d, 'key.pem')], /^tdcrowd: --tls-cert .*nope\.pem: no such file \(ENOENT\)$/],
    ['a file that is no certificate', (d: string) => ['--tls-cert', join(d, 'junk.pem'), '--tls-key', join(d, 'key.pem')], /^tdcrowd: --tls-cert .* holds no PEM certificate/],
    ['a file that is no key', (d: string) => ['--tls-cert', join(d, 'cert.pem'), '--tls-key', join(d, 'junk.pem')], /^tdcrowd: --tls-key .* holds no usable PEM private key/],
    ['a key of another certificate', (d: string) => ['--tls-cert', join(d, 'cert.pem'), '--tls-key', join(d, 'other-key.pem')], /^tdcrowd: --tls-key .* is not the key of the certificate/],
  ])('%s', async (_what, args, message) => {
    const made = await selfSignedTls('127.0.0.1');
    const other = await selfSignedTls('127.0.0.1');
    const d = mkdtempSync(join(dir, 'case-'));
    writeFileSync(join(d, 'cert.pem'), made.cert);
    writeFileSync(join(d, 'key.pem'), made.key);
    writeFileSync(join(d, 'other-key.pem'), other.key);
    writeFileSync(join(d, 'junk.pem'), 'not pem at all\n');
    const r = spawnSync(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', '0', ...args(d)], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
