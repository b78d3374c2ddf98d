import type { Report } from '../types.js';
import type { FormatOptions } from './describe.js';
import { formatGithub } from './github.js';
import { formatJson } from './json.js';
import { formatJunit } from './junit.js';
import { formatText } from './text.js';

export type { FormatOptions } from './describe.js';
export const FORMATS = ['text', 'json', 'junit', 'github'] as const;
export type Format = (typeof FORMATS)[number];

const FORMATTERS: Record<Format, (report: Report, options: FormatOptions) => string> = {
  text: formatText,
  json: formatJson,
  junit: formatJunit,
  github: formatGithub,
};

export function format(report: Report, as: Format, options: FormatOptions = {}): string {
  return FORMATTERS[as](report, options);
}
