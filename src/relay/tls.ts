/**
 * HTTPS/WSS for the relay (README, "HTTPS"): a certificate and key from files (`--tls-cert`, `--tls-key`), or one
 * made at start for a LAN show (`--tls-self-signed`, by the `selfsigned` library) that names this machine's
 * addresses and `localhost`. Either way the relay prints the certificate's SHA-256 fingerprint, so whoever
 * accepts the browser's warning can compare it.
 *
 * Every problem with the files is one line the operator can act on (a RelayOptionsError, exit 2), found before
 * anything listens.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { generate } from 'selfsigned';
import { describeFsError } from '../common/writable.js';
import { RelayOptionsError } from './options.js';

/** What the https server needs, and what the banner tells. */
export interface TlsMaterial {
  /** PEM: the certificate (and any chain after it). */
  cert: string;
  /** PEM: the private key. */
  key: string;
  /** SHA-256 of the (first) certificate, colon-separated hex as browsers show it. */
  fingerprint256: string;
  /** The certificate was made at start (--tls-self-signed). */
  selfSigned: boolean;
  /** When the certificate expires (the file's, or the generated one's). */
  validTo: Date;
  /** DNS names and addresses the certificate is for. */
  names: string[];
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** Days a generated certificate is valid: a new one is made at every start, so a short life costs nothing. */
export const SELF_SIGNED_DAYS = 90;

/** Reads and checks a certificate and key from files. */
export async function loadTlsFiles(files: TlsFiles): Promise<TlsMaterial> {
  const cert = await readPem('--tls-cert', files.certFile);
  const key = await readPem('--tls-key', files.keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new RelayOptionsError(`--tls-cert ${files.certFile} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    const why = /ENCRYPTED/.test(key) ? 'it is encrypted: give the relay an unencrypted key' : 'expected -----BEGIN PRIVATE KEY----- or an RSA/EC key';
    throw new RelayOptionsError(`--tls-key ${files.keyFile} holds no usable PEM private key (${why})`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new RelayOptionsError(`--tls-key ${files.keyFile} is not the key of the certificate in --tls-cert ${files.certFile}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new RelayOptionsError(`--tls-cert ${files.certFile} and --tls-key ${files.keyFile} cannot serve TLS: ${firstLine(err)}`);
  }
  const material = describe(cert, key, x509, false);
  if (material.validTo.getTime() < Date.now()) {
    throw new RelayOptionsError(`--tls-cert ${files.certFile} expired on ${material.validTo.toISOString().slice(0, 10)}: browsers would refuse it`);
  }
  return material;
}

/** Makes a certificate for this machine: `localhost`, its host name, loopback and every LAN address. */
export async function selfSignedTls(boundHost: string, now = new Date()): Promise<TlsMaterial> {
  const { dns, ips } = machineNames(boundHost);
  const notAfterDate = new Date(now.getTime() + SELF_SIGNED_DAYS * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'tdcrowd relay' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000), // a phone whose clock is a little behind still accepts it
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...dns.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  return describe(pems.cert, pems.private, new X509Certificate(pems.cert), true);
}

/** The names a generated certificate covers: what phones and this machine may type to reach the relay. */
export function machineNames(boundHost: string, interfaces = networkInterfaces(), host = hostname()): { dns: string[]; ips: string[] } {
  const dns = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  if (/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(host)) {
    dns.add(host);
    if (!host.includes('.')) dns.add(`${host}.local`); // mDNS, as phones on a LAN often see a laptop
  }
  for (const list of Object.values(interfaces)) for (const a of list ?? []) if (!a.internal) ips.add(a.address.replace(/%.*$/, ''));
  const bound = boundHost.replace(/^\[(.*)\]$/, '$1');
  if (bound !== '' && bound !== '0.0.0.0' && bound !== '::') {
    if (isIP(bound) !== 0) ips.add(bound);
    else dns.add(bound);
  }
  return { dns: [...dns], ips: [...ips] };
}

function describe(cert: string, key: string, x509: X509Certificate, selfSigned: boolean): TlsMaterial {
  const names = (x509.subjectAltName ?? '')
    .split(/,\s*/)
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .filter((n) => n.length > 0);
  return { cert, key, fingerprint256: x509.fingerprint256, selfSigned, validTo: new Date(x509.validTo), names };
}

async function readPem(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new RelayOptionsError(`${flag} ${path}: ${e.code === 'ENOENT' ? 'no such file (ENOENT)' : describeFsError(e)}`);
  }
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split('\n')[0]!;
}

/** The relay's TLS, as its options ask: none, the files', or a generated certificate. */
export function tlsFor(o: { tlsCert?: string | undefined; tlsKey?: string | undefined; tlsSelfSigned: boolean; host: string }): Promise<TlsMaterial | undefined> {
  if (o.tlsSelfSigned) return selfSignedTls(o.host);
  if (o.tlsCert !== undefined && o.tlsKey !== undefined) return loadTlsFiles({ certFile: o.tlsCert, keyFile: o.tlsKey });
  return Promise.resolve(undefined);
}
