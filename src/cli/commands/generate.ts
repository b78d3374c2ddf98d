import type { Command } from 'commander';
import { DEFAULT_OUT_DIR, writeScripts } from '../../generate/index.js';
import { addGenerateFlags, optionsFromFlags, type GenerateFlags } from '../generate-flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('generate')
    .description('write the TouchDesigner scripts (network DAT callbacks, Execute DAT, Script CHOP, install.py) for your options');
  addGenerateFlags(cmd)
    .option('--host <address>', "the relay's address, written into install.py's WebSocket DAT (default 127.0.0.1)")
    .option('--port <port>', "written into install.py: the relay's port (WebSocket DAT), the Web Server DAT's port (webserver; default 8080 for both) or the OSC In DAT's (osc; default 7000)")
    .option('--out <dir>', `output directory (default ${DEFAULT_OUT_DIR})`)
    .action((flags: GenerateFlags & { out?: string }) => {
      const options = optionsFromFlags(flags);
      const out = flags.out ?? DEFAULT_OUT_DIR;
      const scripts = writeScripts(out, options);
      for (const s of scripts) process.stdout.write(`wrote ${out.replace(/\/+$/, '')}/${s.file}\n`);
    });
}
