import { Command, Option } from 'commander';
import { RelayOptionsError, startRelay, type RelayOptions } from '../../relay/index.js';
import { parseOscTarget } from '../../relay/osc-out.js';
import { UsageError } from '../usage-error.js';

interface RelayFlags {
  port?: string;
  host: string;
  mode: string;
  heartbeat: string;
  pingInterval: string;
  maxPayload: string;
  rate: string;
  burst: string;
  maxControllers: string;
  highWater: string;
  sinkToken?: string;
  origin?: string[];
  log?: string;
  quiet?: boolean;
  osc?: string[];
  oscHz: string;
  oscRate: string;
  oscSnapshot: string;
}

function number(flag: string, value: string, { integer = false, min = 0 } = {}): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function seconds(flag: string, value: string): number {
  const ms = Math.round(number(flag, value) * 1000);
  if (ms < 10) throw new UsageError(`${flag} must be at least 0.01 seconds, got ${JSON.stringify(value)}`);
  return ms;
}

export function toRelayOptions(flags: RelayFlags, env: NodeJS.ProcessEnv = process.env): Partial<RelayOptions> {
  if (flags.mode !== 'route' && flags.mode !== 'broadcast') {
    throw new UsageError(`--mode must be route or broadcast, got ${JSON.stringify(flags.mode)}`);
  }
  const portText = flags.port ?? env.PORT ?? '8080';
  const port = number(flags.port === undefined && env.PORT !== undefined ? 'PORT' : '--port', portText, { integer: true });
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const origins = flags.origin
    ?.flatMap((o) => o.split(','))
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  if (flags.origin !== undefined && (origins === undefined || origins.length === 0)) throw new UsageError('--origin needs at least one origin');
  for (const o of origins ?? []) {
    if (!/^https?:\/\/[^/\s]+\/?$/i.test(o)) throw new UsageError(`--origin must look like https://host[:port], got ${JSON.stringify(o)}`);
  }
  if (flags.sinkToken !== undefined && flags.sinkToken.length === 0) throw new UsageError('--sink-token must not be empty');
  const osc = (flags.osc ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter((o) => o.length > 0).map((o) => {
    try {
      return parseOscTarget(o);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const oscHz = number('--osc-hz', flags.oscHz);
  if (oscHz > 1000) throw new UsageError(`--osc-hz must be at most 1000, got ${oscHz}`);
  const oscSnapshot = number('--osc-snapshot', flags.oscSnapshot);
  return {
    port,
    host: flags.host,
    mode: flags.mode,
    heartbeatMs: seconds('--heartbeat', flags.heartbeat),
    textPingMs: seconds('--ping-interval', flags.pingInterval),
    maxPayload: number('--max-payload', flags.maxPayload, { integer: true, min: 64 }),
    rate: number('--rate', flags.rate, { min: Number.MIN_VALUE }),
    burst: number('--burst', flags.burst, { min: 1 }),
    maxControllers: number('--max-controllers', flags.maxControllers, { integer: true, min: 1 }),
    sinkHighWaterBytes: number('--high-water', flags.highWater, { integer: true, min: 1 }),
    sinkToken: flags.sinkToken,
    origins,
    log: flags.log,
    quiet: flags.quiet === true,
    osc,
    oscHz,
    oscRate: number('--osc-rate', flags.oscRate, { min: 1 }),
    oscSnapshotMs: Math.round(oscSnapshot * 1000),
  };
}

export function register(program: Command): void {
  program
    .command('relay')
    .description('serve the joystick page and relay phones to TouchDesigner (route or broadcast mode)')
    .option('--port <n>', 'port for the page and the WebSocket (default: PORT env or 8080)')
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .addOption(new Option('--mode <mode>', 'route: controllers → sinks only; broadcast: every frame to every other client (tutorial)').default('route'))
    .option('--heartbeat <s>', 'WebSocket ping interval in seconds; a dead client is deleted within two', '10')
    .option('--ping-interval <s>', 'seconds between bare "ping" text frames (tutorial keep-alive)', '25')
    .option('--max-payload <bytes>', 'largest frame accepted; larger closes the connection (1009)', '1024')
    .option('--rate <msgs/s>', 'per-connection rate limit', '120')
    .option('--burst <n>', 'per-connection burst allowance', '240')
    .option('--max-controllers <n>', 'controllers beyond this are closed with 1013', '5000')
    .option('--high-water <bytes>', 'bytes buffered to one sink before the relay coalesces for it', String(1 << 20))
    .option('--sink-token <token>', 'require this token in sinks\' hello')
    .option('--origin <origins...>', 'allowed page origins (repeatable or comma-separated), e.g. https://show.example.org')
    .option('--log <file.jsonl>', 'log every frame in and out (JSONL, readable by tdcrowd validate)')
    .option('--osc <host:port...>', 'also send every connect, update and delete as OSC over UDP to HOST:PORT (repeatable): /tdcrowd/update s:id f:x f:y f:speed f:angle, /tdcrowd/connect s:id, /tdcrowd/delete s:id s:reason')
    .option('--osc-hz <n>', 'OSC bundles per second per target, latest update per user (0: one datagram per message, at once)', '30')
    .option('--osc-rate <msgs/s>', 'most OSC messages per second per target; beyond, updates wait and coalesce', '100000')
    .option('--osc-snapshot <s>', 'seconds between full re-sends of every live user over OSC (UDP may lose packets; 0 = never)', '2')
    .option('--quiet', 'no start-up banner')
    .action(async (flags: RelayFlags) => {
      const options = toRelayOptions(flags);
      const started = startRelay(options);
      // Handlers go in before the banner appears, so a signal right after start still closes cleanly.
      let stopping = false;
      const shutdown = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`tdcrowd relay: ${signal}, closing connections\n`);
        started
          .then((relay) => relay.close())
          .then(
            () => process.exit(0),
            (err: unknown) => {
              process.stderr.write(`tdcrowd relay: error while closing: ${String(err)}\n`);
              process.exit(1);
            },
          );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      try {
        await started;
      } catch (err) {
        if (err instanceof RelayOptionsError) throw new UsageError(err.message);
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') throw new UsageError(`port ${options.port} is in use (try --port)`);
        if (e.code === 'EACCES') throw new UsageError(`not allowed to listen on ${options.host}:${options.port}`);
        if (e.code === 'ENOENT' || e.code === 'EISDIR') throw new UsageError(`cannot write the log: ${e.message}`);
        throw err;
      }
    });
}
