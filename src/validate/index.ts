export { validateFiles, type Source } from './validate.js';
export { format, FORMATS, type Format, type FormatOptions } from './formatters/index.js';
export * from './types.js';
