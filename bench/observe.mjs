/**
 * Benchmark 6: the cost of recording one forwarding latency in /metrics, the only metrics work on the relay's
 * per-message path. Compares the relay's LatencyHistogram with its former buckets (13, from 0.5 ms), with its
 * current finer ones (20, from 5 µs), and prom-client's Histogram over the same 20 buckets (what adopting it
 * on the hot path would cost). Each variant runs in its own process (no shared JIT state), on one fixed list of
 * latencies shaped like the relay's own (recv → send; a 200-user loopback run had 97 % under 25 µs): 90 % from
 * 2 to 25 µs, 9 % to 0.5 ms, 1 % to 50 ms. A second list, 90 % from 20 µs to 0.5 ms, is the harder case for the
 * finer buckets (more comparisons per frame).
 *
 * `node bench/run.mjs observe` writes section 6 of RESULTS.md; `node bench/observe.mjs VARIANT N [MIX]` prints
 * the ns per observe of one variant.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadAvg1 } from './lib/proc-stats.mjs';
import { mdTable } from './lib/results.mjs';

export const name = 'observe';

const SELF = fileURLToPath(import.meta.url);
const OLD_BOUNDS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const VARIANTS = {
  'relay-old': 'LatencyHistogram.observeMs, former 13 buckets (0.5 ms … 5 s)',
  'relay-new': 'LatencyHistogram.observeMs, current 20 buckets (5 µs … 10 s)',
  'prom-client': 'prom-client Histogram.observe, same 20 buckets, no labels',
};
const ROUNDS = 7;
/** Relay CPU per forwarded message at 2000 users, section 1 (15.3-15.8 µs/msg in the route rows). */
const RELAY_NS_PER_MESSAGE = 15_000;

/** The two latency mixes, ms: [low, high) of the 90 %, the 9 % and the 1 %. */
const MIXES = {
  relay: [[0.002, 0.025], [0.025, 0.5], [0.5, 50]],
  slower: [[0.02, 0.5], [0.5, 5], [5, 50]],
};

/** Latencies in ms: a fixed pseudo-random list (same in every process). */
function samples(mix) {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const [a, b, c] = MIXES[mix];
  const pick = ([lo, hi]) => lo + rnd() * (hi - lo);
  const out = new Float64Array(1 << 16);
  for (let i = 0; i < out.length; i++) {
    const r = rnd();
    out[i] = pick(r < 0.9 ? a : r < 0.99 ? b : c);
  }
  return out;
}

/** One variant in this process: median ns per observe over ROUNDS rounds of n observes. */
async function measure(variant, n, mix) {
  const { LatencyHistogram, LATENCY_BOUNDS_S } = await import('../dist/relay/metrics.js');
  const values = samples(mix);
  const mask = values.length - 1;
  let observe;
  if (variant === 'prom-client') {
    const { Histogram } = await import('prom-client');
    const h = new Histogram({ name: 'bench_latency_seconds', help: 'bench', buckets: [...LATENCY_BOUNDS_S], registers: [] });
    observe = (ms) => h.observe(ms / 1000);
  } else {
    const h = new LatencyHistogram(variant === 'relay-old' ? OLD_BOUNDS_S : LATENCY_BOUNDS_S);
    observe = (ms) => h.observeMs(ms);
  }
  const round = () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) observe(values[i & mask]);
    return Number(process.hrtime.bigint() - t0) / n;
  };
  round(); // warm-up
  const times = Array.from({ length: ROUNDS }, round).sort((a, b) => a - b);
  return times[ROUNDS >> 1];
}

/** prom-client is ~50× slower: fewer observes per round keep its rounds as long as the others'. */
const SCALE = { 'relay-old': 1, 'relay-new': 1, 'prom-client': 1 / 40 };
/** Processes per variant, interleaved (old, new, prom, old, new, ...), so a busy spell on the machine hits all. */
const REPS = 3;

export async function run({ quick = false, log }) {
  const n = quick ? 2_000_000 : 20_000_000;
  const load = loadAvg1();
  const rows = [];
  for (const mix of Object.keys(MIXES)) {
    const byVariant = new Map(Object.keys(VARIANTS).map((v) => [v, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const variant of Object.keys(VARIANTS)) {
        const count = Math.round(n * SCALE[variant]);
        const ns = Number(execFileSync(process.execPath, [SELF, variant, String(count), mix], { encoding: 'utf8' }).trim());
        log(`observe: ${mix} ${variant} #${rep + 1} ${ns.toFixed(1)} ns`);
        byVariant.get(variant).push(ns);
      }
    }
    for (const [variant, what] of Object.entries(VARIANTS)) {
      const all = byVariant.get(variant);
      rows.push({ mix, variant, what, ns: Math.min(...all), all, command: `node bench/observe.mjs ${variant} ${Math.round(n * SCALE[variant])} ${mix}` });
    }
  }
  return { name, markdown: render(rows, n, Math.max(load, loadAvg1())), data: rows };
}

function render(rows, n, load) {
  const get = (mix, v) => rows.find((r) => r.mix === mix && r.variant === v).ns;
  // At 60 000 forwarded frames/s (2000 users × 30 Hz), ns per observe × 60 000 = ns of CPU per second.
  const pctOfCore = (ns) => ((ns * 60_000) / 1e9) * 100;
  const verdict = (mix) => {
    const old = get(mix, 'relay-old');
    const cur = get(mix, 'relay-new');
    const diff = cur - old;
    return `${diff >= 0 ? '+' : ''}${diff.toFixed(1)} ns (${cur.toFixed(1)} vs ${old.toFixed(1)} ns, ${((Math.abs(diff) / RELAY_NS_PER_MESSAGE) * 100).toFixed(2)} % of the ~15 µs of relay CPU a message costs, section 1)`;
  };
  const prom = get('relay', 'prom-client');
  const cur = get('relay', 'relay-new');
  return [
    '## 6. /metrics on the hot path: recording one forwarding latency',
    '',
    `Run ${new Date().toISOString()}. Each variant in its own process (no shared JIT state), ${REPS} processes per variant run interleaved; each process does ${ROUNDS} rounds of ${n.toLocaleString('en-US')} observes (prom-client: ${Math.round(n * SCALE['prom-client']).toLocaleString('en-US')}) after one warm-up round, over one fixed list of 65 536 latencies, and reports its median round. The table shows the fastest process (least disturbed by other work on the machine) and all ${REPS}. Latency mixes: "relay" is shaped like the relay's own recv → send latency on loopback (a 200-user run had 97 % under 25 µs): 90 % 2–25 µs, 9 % to 0.5 ms, 1 % to 50 ms; "slower" (90 % 20 µs–0.5 ms, 9 % to 5 ms, 1 % to 50 ms) is the harder case for the finer buckets. Loop overhead (reading the next latency) is in every row alike. Load (1 min) ${load.toFixed(1)}.`,
    '',
    `**Verdict**: the finer buckets change the cost of a forwarded frame by ${verdict('relay')} with the relay's latency mix, and by ${verdict('slower')} with the slower one. prom-client's Histogram would cost ${(prom / cur).toFixed(0)}× the relay's own (${pctOfCore(prom).toFixed(2)} % of a core at 60 000 frames/s), so it supplies the process metrics only (collected when /metrics is read; between scrapes only its event-loop delay monitor, a native 10 ms timer, and a GC observer run) and the hot path keeps plain increments.`,
    '',
    mdTable(
      ['mix', 'variant', 'what', 'ns per observe (fastest)', `all ${REPS}`, '% of a core at 60 000 frames/s', 'command'],
      rows.map((r) => [r.mix, r.variant, r.what, r.ns.toFixed(1), r.all.map((v) => v.toFixed(1)).join(' / '), pctOfCore(r.ns).toFixed(3), `\`${r.command}\``]),
    ),
  ].join('\n');
}

if (process.argv[1] === SELF && process.argv[2]) {
  const ns = await measure(process.argv[2], Number(process.argv[3] ?? 20_000_000), process.argv[4] ?? 'relay');
  process.stdout.write(`${ns}\n`);
}
