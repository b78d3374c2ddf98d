import type { Command } from 'commander';

// Placeholder until the simulate capability lands; replaced by its real registration.
export function register(program: Command): void {
  program
    .command('simulate')
    .description('(simulate: not built yet)')
    .action(() => {
      process.stderr.write('tdcrowd simulate: not built yet\n');
      process.exitCode = 1;
    });
}
