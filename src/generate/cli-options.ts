/**
 * The generate options as commander flags, shared by `tdcrowd generate` and `tdcrowd emulate`.
 * No commander defaults: defaults live in options.ts so a --config file can sit between them and the flags.
 */
import type { Command } from 'commander';
import { readConfig, resolveOptions, type GenerateOptions, type RawOptions } from './options.js';

export function addGenerateFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON file of options (same names as the flags); flags override it')
    .option('--target <target>', 'websocket (default: WebSocket DAT to the relay), webserver (TouchDesigner serves the phones: Web Server DAT) or osc (OSC In DAT fed by relay --osc)')
    .option('--table <name>', 'Table DAT to fill (default test_test)')
    .option('--columns <list>', 'five column names: id,x,y,speed,angle (default user,valuex,valuey,speed,angle)')
    .option('--timeout <s>', 'prune users silent for longer than this many seconds; 0 = never (default 10)')
    .option('--invert-y', 'write y growing upwards')
    .option('--normalize', 'write x and y divided by 170 (the pad rim), i.e. in -1..1')
    .option('--mode <mode>', 'route (default; sends the sink hello) or broadcast (tutorial relay; no hello)')
    .option('--sink-token <token>', "token for the relay's --sink-token (route mode)")
    .option('--batch-hz <hz>', 'ask the relay for at most this many batch frames per second (route mode)')
    .option('--websocket-dat <name>', 'the WebSocket DAT (default websocket1)')
    .option('--webserver-dat <name>', 'the Web Server DAT of --target webserver (default webserver1)')
    .option('--oscin-dat <name>', 'the OSC In DAT of --target osc (default oscin1)')
    .option('--callbacks-dat <name>', "the DAT holding the network DAT's callbacks (default: its name + _callbacks, e.g. websocket1_callbacks)")
    .option('--execute-dat <name>', 'the Execute DAT install.py creates (default tdcrowd_execute)')
    .option('--script-chop <name>', 'the Script CHOP with one sample per slot, for instancing (default tdcrowd_chop)')
    .option('--extra-columns <list>', 'columns after the five: slot (a stable small integer per user, for instancing), hue');
}

interface Flags {
  config?: string;
  target?: string;
  table?: string;
  columns?: string;
  timeout?: string;
  invertY?: boolean;
  normalize?: boolean;
  mode?: string;
  sinkToken?: string;
  batchHz?: string;
  websocketDat?: string;
  webserverDat?: string;
  oscinDat?: string;
  callbacksDat?: string;
  executeDat?: string;
  scriptChop?: string;
  extraColumns?: string;
  host?: string;
  port?: string;
}

export function optionsFromFlags(flags: Flags): GenerateOptions {
  const raw: RawOptions = flags.config !== undefined ? readConfig(flags.config) : {};
  const keys = [
    'target', 'table', 'columns', 'timeout', 'invertY', 'normalize', 'mode', 'sinkToken', 'batchHz', 'websocketDat', 'webserverDat',
    'oscinDat', 'callbacksDat', 'executeDat', 'scriptChop', 'extraColumns', 'host', 'port',
  ] as const;
  for (const k of keys) {
    if (flags[k] !== undefined) raw[k] = flags[k];
  }
  return resolveOptions(raw);
}
