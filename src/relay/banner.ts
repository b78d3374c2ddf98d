/**
 * The start-up banner: where phones join (LAN URLs and a QR code of the first) and what to type into
 * TouchDesigner's WebSocket DAT.
 */
import { networkInterfaces } from 'node:os';
import QRCode from 'qrcode';
import type { RelayMode } from './options.js';

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

export async function renderBanner(info: BannerInfo): Promise<string> {
  const addresses = lanAddresses(info.host);
  const urls = addresses.map((a) => `http://${hostForUrl(a)}:${info.port}/`);
  const first = urls[0] ?? `http://127.0.0.1:${info.port}/`;
  const local = `http://${hostForUrl(ANY_HOST.has(info.host) ? '127.0.0.1' : info.host)}:${info.port}/`;
  // A QR code is drawn with ANSI colours: only for a terminal, and only when a phone could reach the address.
  const qr = info.tty && !isLoopbackOnly(info.host) ? (await QRCode.toString(first, { type: 'terminal', small: true })).trimEnd() : undefined;
  const lines = [
    `tdcrowd relay ${info.version}: ${info.mode} mode, listening on ${hostForUrl(info.host)}:${info.port}`,
    '',
    'Phones join at:',
    ...urls.map((u) => `  ${u}`),
    ...(isLoopbackOnly(info.host) ? ['  (this machine only: use --host 0.0.0.0 to let phones on the network join)'] : []),
    '',
    ...(qr === undefined ? [] : [qr, '']),
    `In TouchDesigner: WebSocket DAT → Network Address ${addresses[0] ?? '127.0.0.1'}, Network Port ${info.port}` +
      (addresses.length > 1 ? ` (or ${addresses.slice(1).join(', ')})` : ''),
    '  (on the machine running the relay, Network Address 127.0.0.1 works too)',
    `  one step: npx tdcrowd generate --host ${addresses[0] ?? '127.0.0.1'} --port ${info.port}, paste td/install.py into a Text DAT, Run Script`,
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
