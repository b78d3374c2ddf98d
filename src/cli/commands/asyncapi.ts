import type { Command } from 'commander';
import { asyncapiDocument } from '../../protocol/index.js';
import { VERSION } from '../../version.js';

export function register(program: Command): void {
  program
    .command('asyncapi')
    .description('print the AsyncAPI 3 document of wire protocol v1 (channels, messages per direction, close codes)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(asyncapiDocument(VERSION), null, 2)}\n`);
    });
}
