import type { Command } from 'commander';

// Placeholder until the relay capability lands; replaced by its real registration.
export function register(program: Command): void {
  program
    .command('relay')
    .description('(relay: not built yet)')
    .action(() => {
      process.stderr.write('tdcrowd relay: not built yet\n');
      process.exitCode = 1;
    });
}
