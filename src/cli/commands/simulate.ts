import type { Command } from 'commander';
import { checkWritableFile, describeFsError } from '../../common/writable.js';
import { AdmissionError, OptionsError, DEFAULTS as D, resolveOptions, runSimulation, type RawOptions } from '../../simulate/index.js';

/** Every --url given, in order (options.ts splits commas and checks each). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Flags carry no commander defaults: simulate/options.ts has them, and checks every value once. */
export function register(program: Command): void {
  program
    .command('simulate')
    .description('virtual joysticks (and a measuring sink) against a relay: delivery, latency, ghosts; --slo gates CI')
    .option('--url <ws-url>', `relay WebSocket URL (default ${D.url}); repeat it or separate by commas to spread the phones over several instances, round robin`, collect)
    .option('--users <n>', `virtual users (default ${D.users})`)
    .option('--rate <hz>', `updates per second per moving user (default ${D.rate})`)
    .option('--duration <s>', `seconds of sending (default ${D.durationS}; with --replay: the whole log)`)
    .option('--ramp <s>', `spread the connects over this many seconds (default ${D.rampS})`)
    .option('--pattern <name>', `circle | random | still | burst (default ${D.pattern})`)
    .option('--churn <per-min>', `users leaving (tab closed) and new ones joining, per minute (default ${D.churnPerMin})`)
    .option('--idle-delete', 'send delete after --idle-after seconds without movement, like the page')
    .option('--idle-after <s>', `seconds without movement before the idle delete (default ${D.idleAfterS})`)
    .option('--replay <file.jsonl>', "replay a relay log's controller frames with their original timing")
    .option('--speed <factor>', `replay speed factor (2 = twice as fast; default ${D.speed})`)
    .option('--sink', 'run the built-in measuring sink (delivery, latency, ghosts)')
    .option('--sink-url <ws-url>', 'instance the measuring sink connects to (default: the first --url)')
    .option('--sink-token <token>', "token for the sink's hello (relay --sink-token)")
    .option('--batch-hz <hz>', 'ask the relay for batches this many times a second, 1 to 240 (delivery then = final state per user)')
    .option('--sink-encoding <name>', 'json | f32-columns: what the sink asks for (f32-columns: binary column batches, needs --batch-hz; default json)')
    .option('--legacy', 'tutorial wire format only: no seq/t/hello (for a broadcast relay)')
    .option('--report <file.json>', 'write the JSON report')
    .option('--html <file.html>', 'write a self-contained HTML report')
    .option('--slo <terms>', 'e.g. "p99<50,delivery>=0.999": a breach exits 1')
    .option('--seed <n>', `seed for the motion patterns and churn (default ${D.seed})`)
    .option('--grace <s>', `seconds to wait after sending for in-flight frames and deletes (default ${D.graceS})`)
    .option('--tick <ms>', `scheduler tick (default ${D.tickMs})`)
    .option('--id-base <n>', `first sliderId (users get consecutive integers; default ${D.idBase})`)
    .option('--threads <n>', `generate the crowd on this many worker threads (machines with cores to spare; default ${D.threads})`)
    .option('--insecure', "wss://: accept the relay's certificate unchecked (e.g. relay --tls-self-signed); never the default")
    .option('--ca <file.pem>', 'wss://: trust this certificate (or CA) too, e.g. the one the relay serves')
    .option('--no-progress', 'no progress bar or progress lines')
    .action(async (raw: RawOptions) => {
      const options = resolveOptions(raw);
      if (options.tls.insecure) process.stderr.write("tdcrowd simulate: --insecure: the relay's certificate is not checked\n");
      // Before any load: a run must not end by losing its results to an output that cannot be written.
      for (const [flag, path] of [['--report', options.report], ['--html', options.html]] as const) {
        if (path === undefined) continue;
        try {
          checkWritableFile(path);
        } catch (err) {
          throw new OptionsError(`${flag} ${path}: cannot write the report: ${describeFsError(err)}`);
        }
      }
      // Ctrl-C ends the sending early but still reports; a second Ctrl-C quits at once.
      const abort = new AbortController();
      const onSigint = (): void => {
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write('\ntdcrowd simulate: stopping early, settling and reporting (Ctrl-C again to quit)\n');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const { exitCode } = await runSimulation(options, { stdout: process.stdout, stderr: process.stderr, signal: abort.signal });
        process.exitCode = exitCode;
      } catch (err) {
        if (!(err instanceof AdmissionError)) throw err;
        process.stderr.write(`tdcrowd simulate: ${err.message}\n`);
        process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
