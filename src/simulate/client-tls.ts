/**
 * How the simulator's sockets check a wss:// relay's certificate. By default as any TLS client does (the
 * system's trusted CAs); `--ca FILE` trusts that certificate too (e.g. the one a `relay --tls-self-signed` or
 * a venue's own CA made); `--insecure` checks nothing, for a quick test against a self-signed relay.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { OptionsError } from './errors.js';

/** Plain data: it crosses to generator threads in workerData. */
export interface ClientTls {
  /** Accept any certificate (--insecure). */
  insecure: boolean;
  /** Extra trusted certificates, PEM (--ca FILE). */
  ca: string | undefined;
}

/** What `ws` (and so tls.connect) gets: nothing unless asked, so verification stays on by default. */
export interface WsTlsOptions {
  rejectUnauthorized?: false;
  ca?: string;
}

export const DEFAULT_CLIENT_TLS: ClientTls = Object.freeze({ insecure: false, ca: undefined });

export function wsTlsOptions(t: ClientTls | undefined): WsTlsOptions {
  if (t === undefined) return {};
  if (t.insecure) return { rejectUnauthorized: false };
  return t.ca === undefined ? {} : { ca: t.ca };
}

/** The flags' settings, checked: the CA file must hold a PEM certificate, and the relay URL must be wss://. */
export function readClientTls(insecure: boolean, caFile: string | undefined, urls: readonly string[]): ClientTls {
  if (insecure && caFile !== undefined) throw new OptionsError('--insecure checks no certificate and --ca trusts one: give one of them');
  if ((insecure || caFile !== undefined) && !urls.some((u) => /^wss:/i.test(u))) {
    throw new OptionsError(`${insecure ? '--insecure' : '--ca'} applies to a wss:// relay URL`);
  }
  if (caFile === undefined) return { insecure, ca: undefined };
  let ca: string;
  try {
    ca = readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new OptionsError(`--ca ${caFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    new X509Certificate(ca);
  } catch {
    throw new OptionsError(`--ca ${caFile} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  }
  return { insecure: false, ca };
}
