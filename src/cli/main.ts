#!/usr/bin/env node
/**
 * The one CLI. Thin on purpose: each subcommand parses its flags and hands over to its capability in src/.
 * Exit codes: 0 ok, 1 a failure was found, 2 a usage or environment error (one line on stderr, no stack trace).
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../common/user-error.js';
import { VERSION } from '../version.js';
import { register as registerRelay } from './commands/relay.js';
import { register as registerGenerate } from './commands/generate.js';
import { register as registerSimulate } from './commands/simulate.js';
import { register as registerValidate } from './commands/validate.js';
import { register as registerSchema } from './commands/schema.js';
import { register as registerEmulate } from './commands/emulate.js';
import { register as registerAsyncapi } from './commands/asyncapi.js';

const program = new Command()
  .name('tdcrowd')
  .description('Let a crowd steer a TouchDesigner installation from their phones.')
  .version(VERSION)
  .exitOverride()
  // A usage error is one line with a pointer to the help, not the whole help (subcommands inherit this).
  .configureOutput({
    outputError: (text, write) => {
      const line = text.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
      const sub = process.argv.slice(2).find((a) => !a.startsWith('-'));
      const known = program.commands.some((c) => c.name() === sub);
      write(`tdcrowd: ${line} (see tdcrowd ${known ? `${sub} ` : ''}--help)\n`);
    },
  });

for (const register of [registerRelay, registerGenerate, registerSimulate, registerValidate, registerSchema, registerAsyncapi, registerEmulate]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; every other commander error is a usage error (commander has printed it).
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (err instanceof UserError) {
    // Every feature's option, usage and environment errors: the message is for the user, the stack is not.
    process.stderr.write(`tdcrowd: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(2);
  }
  process.stderr.write(`tdcrowd: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
