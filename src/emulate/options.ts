/**
 * `tdcrowd emulate`'s own options (the generate options come on top, checked by the generator): the relay to
 * connect to and how long to run. Defaults and checks live here; the CLI passes the flags' text.
 */
import { UserError } from '../common/user-error.js';

export class EmulateOptionsError extends UserError {
  override name = 'EmulateOptionsError';
}

export interface EmulateOptions {
  url: string;
  /** Print one snapshot once the stream has settled, then exit. */
  once: boolean;
  /** Run this long, print the final snapshot, exit; undefined: until interrupted (or settled, with once). */
  durationS: number | undefined;
  /** With once: quiet time that counts as settled. */
  settleS: number;
}

export const DEFAULTS = Object.freeze({ settleS: 1 });

export interface EmulateFlags {
  url?: string;
  once?: boolean;
  duration?: string;
  settle?: string;
}

export function resolveOptions(flags: EmulateFlags): EmulateOptions {
  const o: EmulateOptions = {
    url: relayUrl(flags.url),
    once: flags.once === true,
    durationS: seconds('duration', flags.duration),
    settleS: seconds('settle', flags.settle) ?? DEFAULTS.settleS,
  };
  if (o.once && o.durationS !== undefined) throw new EmulateOptionsError('use either --once or --duration, not both');
  return o;
}

function relayUrl(url: string | undefined): string {
  if (!url) throw new EmulateOptionsError('--url ws://HOST:PORT is required (the relay to connect to)');
  // TouchDesigner's WebSocket DAT connects to one relay; so does its emulator (several instances share one Redis).
  if (url.includes(',')) throw new EmulateOptionsError(`--url takes one relay (TouchDesigner connects to one instance), got ${JSON.stringify(url)}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EmulateOptionsError(`--url: not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new EmulateOptionsError(`--url must start with ws:// or wss://; got ${url}`);
  return url;
}

function seconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new EmulateOptionsError(`--${flag} must be a number of seconds > 0; got ${JSON.stringify(v)}`);
  return n;
}
