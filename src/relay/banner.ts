/**
 * The start-up banner: where phones join (LAN URLs and a QR code of the first) and what to type into
 * TouchDesigner's WebSocket DAT.
 */
import { networkInterfaces } from 'node:os';
import QRCode from 'qrcode';
import type { RelayMode } from './options.js';
import type { TlsMaterial } from './tls.js';

export interface BannerInfo {
  host: string;
  port: number;
  mode: RelayMode;
  version: string;
  sinkToken: boolean;
  log?: string;
  /** OSC targets (HOST:PORT). */
  osc?: string[];
  /** What phones get when it is not the plain joystick page, e.g. your own page from --static. */
  page?: string;
  /** stdout is a terminal: only then a QR code (it is drawn with ANSI colours). */
  tty: boolean;
  /** HTTPS/WSS: phones join at https:// URLs (the QR code too). */
  tls?: Pick<TlsMaterial, 'fingerprint256' | 'selfSigned' | 'validTo'> | undefined;
  /** The plain listener on 127.0.0.1 (--local-port), for TouchDesigner on this machine. */
  localPort?: number | undefined;
}

const ANY_HOST = new Set(['0.0.0.0', '::', '']);

/** IPv4 addresses other devices on the LAN can reach, or the bound host when it is a specific one. */
export function lanAddresses(host: string): string[] {
  if (!ANY_HOST.has(host)) return [host];
  const found: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) found.push(a.address);
  }
  return found.length > 0 ? found : ['127.0.0.1'];
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Bound to loopback only: no phone can reach it, so no QR code to scan. */
export function isLoopbackOnly(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** What the operator should know about the certificate phones will see. */
function tlsLines(info: BannerInfo): string[] {
  if (info.tls === undefined) return [];
  const until = info.tls.validTo.toISOString().slice(0, 10);
  const lines = [`HTTPS: certificate SHA-256 ${info.tls.fingerprint256} (valid until ${until})`];
  if (info.tls.selfSigned) {
    lines.push(
      '  self-signed, made at this start: each phone must accept the browser warning once (compare the fingerprint);',
      '  iPhones refuse wss:// to a self-signed certificate even then: use a real certificate for them (README, "HTTPS")',
    );
  }
  return [...lines, ''];
}

/** Where TouchDesigner connects: the plain local listener when there is one, else the relay's own port. */
function touchDesignerLines(info: BannerInfo, addresses: string[]): string[] {
  if (info.localPort !== undefined) {
    return [
      `In TouchDesigner on this machine: WebSocket DAT → Network Address 127.0.0.1, Network Port ${info.localPort} (plain ws, this machine only)`,
      `  one step: npx tdcrowd generate --host 127.0.0.1 --port ${info.localPort}, paste td/install.py into a Text DAT, Run Script`,
    ];
  }
  const first = addresses[0] ?? '127.0.0.1';
  if (info.tls !== undefined) {
    // The WebSocket DAT takes wss:// in its address for TLS on a port other than 443 (docs.derivative.ca/WebSocket_DAT).
    return [
      `In TouchDesigner: WebSocket DAT → Network Address wss://${first}, Network Port ${info.port}`,
      '  (simpler on this machine, and no certificate to trust: add --local-port 8081 for a plain listener on 127.0.0.1)',
    ];
  }
  return [
    `In TouchDesigner: WebSocket DAT → Network Address ${first}, Network Port ${info.port}` +
      (addresses.length > 1 ? ` (or ${addresses.slice(1).join(', ')})` : ''),
    '  (on the machine running the relay, Network Address 127.0.0.1 works too)',
    `  one step: npx tdcrowd generate --host ${first} --port ${info.port}, paste td/install.py into a Text DAT, Run Script`,
  ];
}

export async function renderBanner(info: BannerInfo): Promise<string> {
  const addresses = lanAddresses(info.host);
  const scheme = info.tls === undefined ? 'http' : 'https';
  const urls = addresses.map((a) => `${scheme}://${hostForUrl(a)}:${info.port}/`);
  const first = urls[0] ?? `${scheme}://127.0.0.1:${info.port}/`;
  const local =
    info.localPort !== undefined
      ? `http://127.0.0.1:${info.localPort}/`
      : `${scheme}://${hostForUrl(ANY_HOST.has(info.host) ? '127.0.0.1' : info.host)}:${info.port}/`;
  // A QR code is drawn with ANSI colours: only for a terminal, and only when a phone could reach the address.
  const qr = info.tty && !isLoopbackOnly(info.host) ? (await QRCode.toString(first, { type: 'terminal', small: true })).trimEnd() : undefined;
  const lines = [
    `tdcrowd relay ${info.version}: ${info.mode} mode, ${info.tls === undefined ? '' : 'https, '}listening on ${hostForUrl(info.host)}:${info.port}`,
    '',
    'Phones join at:',
    ...urls.map((u) => `  ${u}`),
    ...(isLoopbackOnly(info.host) ? ['  (this machine only: use --host 0.0.0.0 to let phones on the network join)'] : []),
    '',
    ...(qr === undefined ? [] : [qr, '']),
    ...tlsLines(info),
    ...touchDesignerLines(info, addresses),
    info.mode === 'route'
      ? `  route mode: the generated callbacks say hello on connect${info.sinkToken ? ' (generate them with the same --sink-token)' : ''}`
      : '  broadcast mode: every frame goes to every other client, as in the tutorial',
    `Health: ${local}healthz   Metrics: ${local}metrics`,
  ];
  if (info.page !== undefined) lines.push(`Page: ${info.page}`);
  if (info.log !== undefined) lines.push(`Logging frames to ${info.log}`);
  if (info.osc !== undefined && info.osc.length > 0) {
    lines.push(`OSC out to ${info.osc.join(', ')} (/tdcrowd/update, /tdcrowd/connect, /tdcrowd/delete; OSC In DAT: tdcrowd generate --target osc)`);
  }
  return `${lines.join('\n')}\n\n`;
}
