export { validateFiles, type Source } from './validate.js';
export { format, FORMATS, type Format, type FormatOptions } from './formatters/index.js';
export * from './types.js';
export {
  resolveOptions,
  optionsFromFlags,
  DEFAULTS,
  CLI_MAX_ERRORS,
  DEFAULT_FORMAT,
  ValidateOptionsError,
  type ValidateFlags,
  type ResolvedOptions,
} from './options.js';
