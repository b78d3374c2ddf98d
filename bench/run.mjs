#!/usr/bin/env node
/**
 * `npm run bench [-- NAME... ] [--quick] [--no-write]`: runs the benchmarks of README, "Benchmarks" (all, or the
 * named ones) one after the other and rewrites their sections of bench/RESULTS.md.
 *
 * Names: relay (route vs bare vs broadcast), batch, python, simgen, rss, observe, webserver (--target webserver), osc (relay --osc),
 * cluster (relay instances sharing one Redis, issue 12), ingest (JSON vs f32-columns per 60 fps frame at 1000-10 000 phones).
 * --quick    fewer and shorter runs (a smoke test of the harness, not for RESULTS.md's numbers)
 * --no-write print the sections instead of writing RESULTS.md
 */
import { writeSections } from './lib/results.mjs';

const BENCHES = {
  relay: () => import('./relay.mjs'),
  batch: () => import('./batch.mjs'),
  python: () => import('./python-cost.mjs'),
  simgen: () => import('./sim-rate.mjs'),
  rss: () => import('./idle-rss.mjs'),
  observe: () => import('./observe.mjs'),
  webserver: () => import('./webserver-cost.mjs'),
  osc: () => import('./osc.mjs'),
  cluster: () => import('./cluster.mjs'),
  ingest: () => import('./ingest-cost.mjs'),
};

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const names = args.filter((a) => !a.startsWith('--'));
for (const f of flags) {
  if (!['--quick', '--no-write'].includes(f)) usage(`unknown flag ${f}`);
}
for (const n of names) if (!(n in BENCHES)) usage(`unknown benchmark ${n}`);
const selected = names.length > 0 ? names : Object.keys(BENCHES);
const quick = flags.has('--quick');

function usage(msg) {
  process.stderr.write(`bench: ${msg}\nusage: node bench/run.mjs [${Object.keys(BENCHES).join('|')}...] [--quick] [--no-write]\n`);
  process.exit(2);
}

const started = Date.now();
const log = (s) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
const run = { date: new Date().toISOString(), args };
const sections = [];
let failed = false;
for (const n of selected) {
  log(`== ${n}`);
  try {
    const mod = await BENCHES[n]();
    const result = await mod.run({ quick, log });
    sections.push(result);
    if (flags.has('--no-write')) process.stdout.write(`${result.markdown}\n\n`);
    else writeSections([result], run); // after each benchmark, so a later crash keeps what was measured
  } catch (err) {
    failed = true;
    log(`${n} failed: ${err.stack ?? err}`);
  }
}
log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s${flags.has('--no-write') ? '' : ' → bench/RESULTS.md'}`);
process.exitCode = failed ? 1 : 0;
