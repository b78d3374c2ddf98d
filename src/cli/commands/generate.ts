import type { Command } from 'commander';
import { writeScripts } from '../../generate/index.js';
import { addGenerateFlags, optionsFromFlags } from '../../generate/cli-options.js';

export function register(program: Command): void {
  const cmd = program
    .command('generate')
    .description('write the TouchDesigner scripts (WebSocket DAT callbacks and Execute DAT) for your options');
  addGenerateFlags(cmd)
    .option('--host <address>', "the relay's address, written into install.py's WebSocket DAT (default 127.0.0.1)")
    .option('--port <port>', "the relay's port, written into install.py's WebSocket DAT (default 8080)")
    .option('--out <dir>', 'output directory', 'td')
    .action((flags: Parameters<typeof optionsFromFlags>[0] & { out: string }) => {
      const options = optionsFromFlags(flags);
      const scripts = writeScripts(flags.out, options);
      for (const s of scripts) process.stdout.write(`wrote ${flags.out.replace(/\/+$/, '')}/${s.file}\n`);
    });
}
