import type { Command } from 'commander';
import { AUTO_TOKEN, CLI_DEFAULTS, CONNECTION_HEADROOM, DEFAULT_OPTIONS, optionsFromFlags, startRelay, type RelayFlags } from '../../relay/index.js';
import { MAX_WORKERS, workerCount } from '../../relay/workers/plan.js';

const d = DEFAULT_OPTIONS;

/** Flags carry no commander defaults: relay/options.ts has them, and checks every value once. */
export function register(program: Command): void {
  program
    .command('relay')
    .description('serve the joystick page and relay phones to TouchDesigner (route or broadcast mode)')
    .option('--port <n>', `port for the page and the WebSocket (default: PORT env or ${CLI_DEFAULTS.port})`)
    .option('--host <addr>', `address to listen on (default: ${CLI_DEFAULTS.host})`)
    .option('--mode <mode>', `route: controllers → sinks only; broadcast: every frame to every other client (tutorial) (default: ${d.mode})`)
    .option('--heartbeat <s>', `WebSocket ping interval in seconds; a dead client is deleted within two (default: ${d.heartbeatMs / 1000})`)
    .option('--ping-interval <s>', `seconds between bare "ping" text frames (tutorial keep-alive) (default: ${d.textPingMs / 1000})`)
    .option('--max-payload <bytes>', `largest frame accepted; larger closes the connection (1009) (default: ${d.maxPayload})`)
    .option('--rate <msgs/s>', `per-connection rate limit (default: ${d.rate})`)
    .option('--burst <n>', `per-connection burst allowance (default: ${d.burst})`)
    .option('--max-controllers <n>', `controllers beyond this are closed with 1013 (default: ${d.maxControllers})`)
    .option('--max-per-address <n>', `phones per client address, loopback included (also connections not yet identified) (default: ${d.maxPerAddress})`)
    .option('--max-sinks <n>', `sinks at once (broadcast mode: silent listeners) (default: ${d.maxSinks})`)
    .option('--max-connections <n>', `sockets held at once, page and WebSocket (default: --max-controllers + ${CONNECTION_HEADROOM}, less if ulimit -n is lower)`)
    .option('--headers-timeout <s>', `seconds a request may take to send its headers (default: ${d.headersTimeoutMs / 1000})`)
    .option('--request-timeout <s>', `seconds a request may take in all (default: ${d.requestTimeoutMs / 1000})`)
    .option('--high-water <bytes>', `bytes buffered to one sink before the relay coalesces for it (default: ${d.sinkHighWaterBytes})`)
    .option('--sink-token <token>', `require this token (at least 16 characters) in sinks' hello; "${AUTO_TOKEN}" makes one and prints it`)
    .option('--sink-from <cidr...>', "addresses sinks may connect from (repeatable or comma-separated) (default: this machine's own; with --sink-token: anywhere)")
    .option('--trust-proxy <cidr...>', 'reverse proxies whose X-Forwarded-For names the client (default: none)')
    .option('--origin <origins...>', 'allowed page origins (repeatable or comma-separated), e.g. https://show.example.org')
    .option('--log <file.jsonl>', 'log every frame in and out (JSONL, readable by tdcrowd validate; secrets redacted, mode 0600, appended to)')
    .option('--log-truncate', 'start the log empty instead of appending (only once the port is bound)')
    .option('--log-max-mb <MiB>', `rotate the log past this size: FILE → FILE.1 … (0 never) (default: ${d.logMaxBytes / 1024 / 1024})`)
    .option('--log-keep <n>', `rotated log files kept (default: ${d.logKeep})`)
    .option('--status-interval <s>', `seconds between status lines on stdout, 0 for none (default: ${d.statusIntervalMs / 1000})`)
    .option('--osc <host:port...>', 'also send every connect, update and delete as OSC over UDP to HOST:PORT (repeatable): /tdcrowd/update s:id f:x f:y f:speed f:angle, /tdcrowd/connect s:id i:hue, /tdcrowd/delete s:id s:reason')
    .option('--osc-hz <n>', `OSC bundles per second per target, latest update per user (0: one datagram per message, at once) (default: ${d.oscHz})`)
    .option('--osc-rate <msgs/s>', `most OSC messages per second per target; beyond, updates wait and coalesce (default: ${d.oscRate})`)
    .option('--osc-snapshot <s>', `seconds between full re-sends of every live user over OSC (UDP may lose packets; 0 = never) (default: ${d.oscSnapshotMs / 1000})`)
    .option('--title <text>', 'the page\'s heading and tab title (default: "Join the show")')
    .option('--instructions <text>', 'one or two lines under the title (default: "Drag the knob to steer; let go to stop.")')
    .option('--accent <#rrggbb>', 'the pad\'s and buttons\' colour (default: #4caf50, the tutorial\'s green)')
    .option('--logo <file>', 'a .png, .svg, .jpg or .webp logo (at most 512 KiB) above the title, served at /logo')
    .option('--static <dir>', 'serve your own page from DIR at / instead of the joystick page; it imports /tdcrowd-client.js')
    .option('--redis <url>', 'join the relay instances sharing this Redis (redis://HOST:6379, rediss://:PASSWORD@HOST:6380): phones on any instance reach sinks on every instance, ids and presence are shared')
    .option('--tls-cert <file>', 'serve https/wss with this PEM certificate (and chain); needs --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert (unencrypted)')
    .option('--tls-self-signed', "serve https/wss with a certificate made at start for this machine's addresses (LAN shows; iPhones refuse wss to it: README)")
    .option('--local-port <n>', 'with TLS: also a plain http/ws listener on 127.0.0.1:N, for TouchDesigner on this machine')
    .option('--quiet', 'no banner, no sink or status lines (errors still go to stderr)')
    .option('--workers <n>', `processes on this machine sharing the port, joined through --redis (1 to ${MAX_WORKERS}) (default: 1)`)
    .action(async (flags: RelayFlags & { workers?: string }) => {
      const options = optionsFromFlags(flags);
      const workers = workerCount(flags.workers, options.redis);
      if (workers > 1) {
        // Loaded only here: one process (the default) pays nothing for node:cluster.
        const { runPrimary } = await import('../../relay/workers/primary.js');
        await runPrimary(options, workers, { printToken: flags.sinkToken === AUTO_TOKEN });
        return;
      }
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
      const relay = await started;
      // The only place the generated token is told: printed even with --quiet.
      if (flags.sinkToken === AUTO_TOKEN) process.stdout.write(`sink token: ${relay.sinkToken} (generate the callbacks with --sink-token ${relay.sinkToken})\n`);
    });
}
