/**
 * Benchmark 2 (README, "Benchmarks": batch mode): a sink that says `batchHz` receives at most batchHz + 1 frames per second
 * whatever the number of users. The simulator's sink asks for batches; frames per second are counted by the
 * sink per second of the run (the report's series), and the largest second is compared with the bar.
 */
import { loadCells, loadRun } from './lib/load-run.mjs';
import { mdTable } from './lib/results.mjs';
import { startRelay } from './lib/servers.mjs';

export const name = 'batch';

export async function run({ quick = false, log }) {
  const rate = 30;
  const hzs = [30, 60];
  const users = quick ? [100, 1000] : [100, 1000, 2000];
  const duration = quick ? 6 : 8;
  const ramp = 2;
  const rows = [];
  for (const batchHz of hzs) {
    for (const n of users) {
      const server = await startRelay();
      try {
        log(`batch: ${batchHz} Hz sink, ${n} users × ${rate} Hz`);
        const r = await loadRun({ server, name: `batch-${batchHz}-${n}`, users: n, rate, duration, ramp, extra: ['--batch-hz', String(batchHz)] });
        rows.push({ batchHz, ...r });
        const rep = r.report;
        log(`  → max ${rep.maxFramesPerSecond} frames/s (avg ${rep.framesPerSecond}), final state ${rep.finalState.matched}/${rep.finalState.users}`);
      } finally {
        await server.stop();
      }
    }
  }
  return { name, markdown: render(rows, rate, duration, ramp), data: rows };
}

function render(rows, rate, duration, ramp) {
  const verdict = (ok) => (ok ? '**PASS**' : '**FAIL**');
  const table = rows.map((r) => {
    const rep = r.report;
    const c = loadCells(r);
    // the first and last seconds are partial (ramp start, end of sending): the bar is about every second
    const perSecond = rep.series.map((p) => p.framesReceived);
    const ok = rep.maxFramesPerSecond <= r.batchHz + 1;
    return [r.batchHz, r.users, c.achieved, rep.maxFramesPerSecond, rep.framesPerSecond, perSecond.join(' '),
      `${rep.finalState.matched}/${rep.finalState.users}`, `${(rep.updateDeliveryRatio * 100).toFixed(1)}%`, c.latency, c.bound, ok ? 'yes' : 'NO',
      `\`${r.serverCommand}\` + \`${r.command}\``];
  });
  const all = rows.every((r) => r.report.maxFramesPerSecond <= r.batchHz + 1);
  const worst = rows.map((r) => `${r.report.maxFramesPerSecond}/${r.batchHz + 1}`).join(', ');
  return [
    '## 2. Batch mode: frames per second at a batching sink',
    '',
    `Run ${new Date().toISOString()}. Relay in route mode (own process); \`tdcrowd simulate --sink --batch-hz H\` with N users × ${rate} Hz, ` +
      `${duration} s of sending (${ramp} s ramp). Frames per second are counted by the sink for each second of the run; "max" is the ` +
      'largest second. In batch mode delivery means every user\'s final state reached the sink ("final state"); "updates kept" is how ' +
      'much coalescing left of every update sent (by design, only the latest per user per batch).',
    '',
    `**Verdict**: every run ≤ batchHz + 1 frames in every second (max/allowed: ${worst}) ${verdict(all)}`,
    '',
    mdTable(['batchHz', 'users', 'sent msg/s', 'max frames/s', 'avg frames/s', 'frames in each second', 'final state', 'updates kept', 'p50 / p95 / p99 / max ms', 'gen-bound', '≤ batchHz+1', 'commands'], table),
  ].join('\n');
}
