/** Page settings read from the URL. */

/** The tutorial's idle delete: a user who has not moved for 10 s leaves the table. */
export const DEFAULT_IDLE_MS = 10_000;
const MIN_IDLE_MS = 100;
const MAX_IDLE_MS = 3_600_000;

/**
 * Test hook: `?idle=MS` overrides the idle-delete timeout (the browser tests use a short one instead of waiting
 * 10 s). Out-of-range or malformed values fall back to the default.
 */
export function idleMsFromSearch(search: string): number {
  const raw = new URLSearchParams(search).get('idle');
  if (raw === null || !/^\d{1,7}$/.test(raw)) return DEFAULT_IDLE_MS;
  const ms = Number(raw);
  return ms >= MIN_IDLE_MS && ms <= MAX_IDLE_MS ? ms : DEFAULT_IDLE_MS;
}

/** Same origin as the page: ws: for http:, wss: for https: (phones on a venue's TLS proxy). */
export function relayUrlFor(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/`;
}
