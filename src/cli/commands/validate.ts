import type { Command } from 'commander';

// Placeholder until the validate capability lands; replaced by its real registration.
export function register(program: Command): void {
  program
    .command('validate')
    .description('(validate: not built yet)')
    .action(() => {
      process.stderr.write('tdcrowd validate: not built yet\n');
      process.exitCode = 1;
    });
}
