/**
 * The generate options as commander flags, shared by `tdcrowd generate` and `tdcrowd emulate`.
 * No commander defaults: defaults live in src/generate/options.ts so a --config file can sit between them and the
 * flags; the help shows them from there.
 */
import type { Command } from 'commander';
import { DEFAULT_OPTIONS, DEFAULT_TABLE_HZ, EXTRA_COLUMNS, OPTION_FLAGS, readConfig, resolveOptions, type GenerateOptions, type RawOptions } from '../generate/index.js';
import { RIM } from '../protocol/index.js';

const d = DEFAULT_OPTIONS;

export function addGenerateFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON file of options (same names as the flags); flags override it')
    .option('--target <target>', `websocket (default: WebSocket DAT to the relay), webserver (TouchDesigner serves the phones: Web Server DAT) or osc (OSC In DAT fed by relay --osc)`)
    .option('--table <name>', `Table DAT to fill (default ${d.table})`)
    .option('--columns <list>', `five column names: id,x,y,speed,angle (default ${d.columns.join(',')})`)
    .option('--timeout <s>', `prune users silent for longer than this many seconds; 0 = never (default ${d.timeout})`)
    .option('--invert-y', 'write y growing upwards')
    .option('--normalize', `write x and y divided by ${RIM} (the pad rim), i.e. in -1..1`)
    .option('--mode <mode>', `route (sends the sink hello) or broadcast (tutorial relay; no hello) (default ${d.mode})`)
    .option('--sink-token <token>', "token for the relay's --sink-token (route mode)")
    .option('--batch-hz <hz>', 'ask the relay for batch frames this many times a second, 1 to 240 (route mode)')
    .option('--encoding <encoding>', 'json (default) or f32-columns: binary column batches applied with numpy (needs --batch-hz; README, "TouchDesigner at crowd scale")')
    .option('--table-hz <hz>', `f32-columns: Table DAT value refreshes per second, only changed rows; 0 = never (default ${DEFAULT_TABLE_HZ})`)
    .option('--websocket-dat <name>', `the WebSocket DAT (default ${d.websocketDat})`)
    .option('--webserver-dat <name>', `the Web Server DAT of --target webserver (default ${d.webserverDat})`)
    .option('--oscin-dat <name>', `the OSC In DAT of --target osc (default ${d.oscinDat})`)
    .option('--callbacks-dat <name>', "the DAT holding the network DAT's callbacks (default: its name + _callbacks, e.g. websocket1_callbacks)")
    .option('--execute-dat <name>', `the Execute DAT install.py creates (default ${d.executeDat})`)
    .option('--script-chop <name>', `the Script CHOP with one sample per slot, for instancing (default ${d.scriptChop})`)
    .option('--extra-columns <list>', `columns after the five: ${EXTRA_COLUMNS.join(', ')} (slot: a stable small integer per user, for instancing)`);
}

/** Flag values as commander hands them over (camelCase keys), undefined when not given. */
export type GenerateFlags = { config?: string } & Partial<Record<keyof GenerateOptions, string | boolean>>;

/** The --config file's options, then the flags over them, checked once by the generator's resolveOptions. */
export function optionsFromFlags(flags: GenerateFlags): GenerateOptions {
  const raw: RawOptions = flags.config !== undefined ? readConfig(flags.config) : {};
  for (const key of Object.values(OPTION_FLAGS)) {
    if (flags[key] !== undefined) raw[key] = flags[key];
  }
  return resolveOptions(raw);
}
