/** Debian's Chromium through playwright-core, with the flags this closed network needs (no browser download). */
import { chromium, type Browser, type Page } from 'playwright-core';
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

/**
 * Records on `problems` what a page must never do: an uncaught error, a content-security-policy refusal, a dialog
 * (dismissed, so the page goes on). A test expects the list to stay empty.
 */
export function watchProblems(page: Page, problems: string[]): string[] {
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return problems;
}
