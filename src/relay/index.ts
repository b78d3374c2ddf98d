/** The relay (`tdcrowd relay`, README "Commands"); the contract other parts rely on is in this module's exports. */
export { startRelay, type RelayHandle } from './relay.js';
export { resolveOptions, DEFAULT_OPTIONS, RelayOptionsError, type RelayMode, type RelayOptions } from './options.js';
export type { RelayMetricsSnapshot } from './metrics.js';
export { lanAddresses, renderBanner } from './banner.js';
