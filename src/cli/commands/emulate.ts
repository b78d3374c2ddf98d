import type { Command } from 'commander';

// Placeholder until the emulate capability lands; replaced by its real registration.
export function register(program: Command): void {
  program
    .command('emulate')
    .description('(emulate: not built yet)')
    .action(() => {
      process.stderr.write('tdcrowd emulate: not built yet\n');
      process.exitCode = 1;
    });
}
