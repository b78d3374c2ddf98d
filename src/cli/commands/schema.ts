import type { Command } from 'commander';
import { protocolSchema } from '../../protocol/index.js';

export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of wire protocol v1 (what every part of tdcrowd validates against)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(protocolSchema, null, 2)}\n`);
    });
}
