import type { Command } from 'commander';
import { DEFAULT_OUT_DIR, writeScripts } from '../../generate/index.js';
import { addGenerateFlags, optionsFromFlags, type GenerateFlags } from '../generate-flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('generate')
    .description('write the TouchDesigner scripts (WebSocket DAT callbacks and Execute DAT) for your options');
  addGenerateFlags(cmd)
    .option('--host <address>', "the relay's address, written into install.py's WebSocket DAT (default 127.0.0.1)")
    .option('--port <port>', "the relay's port, written into install.py's WebSocket DAT (default 8080)")
    .option('--out <dir>', `output directory (default ${DEFAULT_OUT_DIR})`)
    .action((flags: GenerateFlags & { out?: string }) => {
      const options = optionsFromFlags(flags);
      const out = flags.out ?? DEFAULT_OUT_DIR;
      const scripts = writeScripts(out, options);
      for (const s of scripts) process.stdout.write(`wrote ${out.replace(/\/+$/, '')}/${s.file}\n`);
    });
}
