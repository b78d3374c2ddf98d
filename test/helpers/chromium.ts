/** Debian's Chromium through playwright-core, with the flags this closed network needs (no browser download). */
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_PATH } from './requirements.js';

// Without the background-networking flags Chromium's own connections are refused here, many at a time.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
