import type { Command } from 'commander';

// Placeholder until the generate capability lands; replaced by its real registration.
export function register(program: Command): void {
  program
    .command('generate')
    .description('(generate: not built yet)')
    .action(() => {
      process.stderr.write('tdcrowd generate: not built yet\n');
      process.exitCode = 1;
    });
}
