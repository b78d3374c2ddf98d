/** The relay (`tdcrowd relay`, README "Commands"); the contract other parts rely on is in this module's exports. */
export { startRelay, RelayStartError, type RelayEnvironment, type RelayHandle } from './relay.js';
export {
  resolveOptions,
  optionsFromFlags,
  DEFAULT_OPTIONS,
  AUTO_TOKEN,
  CLI_DEFAULTS,
  CONNECTION_HEADROOM,
  RelayOptionsError,
  type RelayFlags,
  type RelayMode,
  type RelayOptions,
} from './options.js';
export type { RelayMetricsSnapshot } from './metrics.js';
export { lanAddresses, renderBanner } from './banner.js';
