import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_BURST, DEFAULT_RATE, FORMATS, format, validateFiles, type Format, type Source } from '../../validate/index.js';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

function count(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected an integer >= 0');
  return Number(value);
}

const DEFAULT_MAX_LISTED = 1000;

interface ValidateFlags {
  format: Format;
  rate: number;
  burst: number;
  maxErrors: number;
  strict?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('check relay logs (--log JSONL) or plain JSONL protocol messages against wire protocol v1')
    .argument('<files...>', 'relay log (one envelope per line) or plain JSONL (one message per line), lines may mix; - reads stdin')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--rate <msgPerSec>', 'per-connection rate limit to check inbound frames against', positiveNumber, DEFAULT_RATE)
    .option('--burst <msgs>', 'token bucket size for the rate check', positiveNumber, DEFAULT_BURST)
    // A default cap keeps memory and output bounded on a log where every line is bad; counts stay exact.
    .option('--max-errors <n>', 'list at most n violations (all are still counted)', count, DEFAULT_MAX_LISTED)
    .option('--strict', 'treat warnings as errors (they fail the exit code)')
    .option('-q, --quiet', 'list errors only, no summary line')
    .addHelpText(
      'after',
      `
Exit status: 0 clean, 1 violations found (errors; warnings too with --strict),
2 usage error or a file could not be read (missing, a directory, not text). When some
files are unreadable and others are not, the readable ones are still validated and
reported, and the exit status is 2.`,
    )
    .action(async (files: string[], flags: ValidateFlags) => {
      const sources: Source[] = files.map((f) => (f === '-' ? { name: '<stdin>', stream: process.stdin } : f));
      const report = await validateFiles(sources, {
        rate: flags.rate,
        burst: flags.burst,
        strict: flags.strict ?? false,
        maxErrors: flags.maxErrors,
      });
      const output = format(report, flags.format, { quiet: flags.quiet ?? false });
      if (output !== '') process.stdout.write(output);
      process.exitCode = report.exitCode;
    });
}
