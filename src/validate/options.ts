/**
 * The validator's options: defaults and every check, in one place. `validateFiles` resolves what library callers
 * pass; `tdcrowd validate` passes its flags' text to `optionsFromFlags`, which only turns text into numbers.
 */
import { UserError } from '../common/user-error.js';
import { DEFAULT_BURST, DEFAULT_RATE, isValidBurst, isValidRate } from '../protocol/index.js';
import { FORMATS, type Format } from './formatters/index.js';
import type { ValidateOptions } from './types.js';

export class ValidateOptionsError extends UserError {
  override name = 'ValidateOptionsError';
}

export type ResolvedOptions = Required<ValidateOptions>;

export const DEFAULTS: Readonly<ResolvedOptions> = Object.freeze({
  rate: DEFAULT_RATE,
  burst: DEFAULT_BURST,
  strict: false,
  maxErrors: Number.POSITIVE_INFINITY,
  maxLineBytes: 1024 * 1024,
});

/**
 * What `tdcrowd validate` lists at most unless told: a cap keeps memory and output bounded on a log where every
 * line is bad; counts stay exact.
 */
export const CLI_MAX_ERRORS = 1000;
export const DEFAULT_FORMAT: Format = 'text';

export function resolveOptions(options: ValidateOptions = {}): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ValidateOptions;
  const o: ResolvedOptions = { ...DEFAULTS, ...defined };
  if (!isValidRate(o.rate)) throw new ValidateOptionsError(`--rate must be a number above 0, got ${o.rate}`);
  if (!isValidBurst(o.burst)) throw new ValidateOptionsError(`--burst must be a number of at least 1, got ${o.burst}`);
  if (!(o.maxErrors === Number.POSITIVE_INFINITY || (Number.isInteger(o.maxErrors) && o.maxErrors >= 0))) {
    throw new ValidateOptionsError(`--max-errors must be an integer >= 0, got ${o.maxErrors}`);
  }
  if (!(Number.isInteger(o.maxLineBytes) && o.maxLineBytes > 0)) throw new ValidateOptionsError(`maxLineBytes must be a positive integer, got ${o.maxLineBytes}`);
  o.strict = Boolean(o.strict);
  return o;
}

/** `tdcrowd validate`'s flags as commander hands them over: text, or undefined when not given. */
export interface ValidateFlags {
  format?: string;
  rate?: string;
  burst?: string;
  maxErrors?: string;
  strict?: boolean;
  quiet?: boolean;
}

export interface CliOptions {
  validate: ResolvedOptions;
  format: Format;
  quiet: boolean;
}

export function optionsFromFlags(flags: ValidateFlags): CliOptions {
  const format = flags.format ?? DEFAULT_FORMAT;
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new ValidateOptionsError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  return {
    validate: resolveOptions({
      rate: number('--rate', flags.rate),
      burst: number('--burst', flags.burst),
      maxErrors: number('--max-errors', flags.maxErrors) ?? CLI_MAX_ERRORS,
      strict: flags.strict === true,
    }),
    format: format as Format,
    quiet: flags.quiet === true,
  };
}

function number(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(n)) throw new ValidateOptionsError(`${flag} must be a number, got ${JSON.stringify(text)}`);
  return n;
}
