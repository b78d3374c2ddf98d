import type { Command } from 'commander';
import { CLI_MAX_ERRORS, DEFAULT_FORMAT, DEFAULTS, FORMATS, format, optionsFromFlags, validateFiles, type Source, type ValidateFlags } from '../../validate/index.js';

/** Flags carry no commander defaults or checks: validate/options.ts has them. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check relay logs (--log JSONL) or plain JSONL protocol messages against wire protocol v1')
    .argument('<files...>', 'relay log (one envelope per line; with its rotated files FILE.1 … read oldest first) or plain JSONL (one message per line), lines may mix; - reads stdin')
    .option('--format <format>', `output format: ${FORMATS.join(', ')} (default ${DEFAULT_FORMAT})`)
    .option('--rate <msgPerSec>', `per-connection rate limit to check inbound frames against (default ${DEFAULTS.rate})`)
    .option('--burst <msgs>', `token bucket size for the rate check (default ${DEFAULTS.burst})`)
    .option('--max-errors <n>', `list at most n violations; all are still counted (default ${CLI_MAX_ERRORS})`)
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
      const o = optionsFromFlags(flags);
      const sources: Source[] = files.map((f) => (f === '-' ? { name: '<stdin>', stream: process.stdin } : f));
      const report = await validateFiles(sources, o.validate);
      const output = format(report, o.format, { quiet: o.quiet });
      if (output !== '') process.stdout.write(output);
      process.exitCode = report.exitCode;
    });
}
