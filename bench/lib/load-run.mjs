/**
 * One measured load run: a server (relay or baseline) in its own process, `tdcrowd simulate` in another, and
 * this process reading both from /proc. The CPU window is the steady state: it opens one second after every
 * virtual user is connected (seen as the server's open sockets) and closes before the send phase ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, cpuWindow, fdCount, loadAvg1, machineBusySeconds, rssBytes } from './proc-stats.mjs';
import { startSimulate } from './simulate.mjs';

/**
 * @param {object} p
 * @param {{pid:number,url:string,command:string}} p.server a started server
 * @param {string} p.name report name
 * @param {number} p.users
 * @param {number} p.rate
 * @param {number} p.duration seconds of sending (ramp included)
 * @param {number} p.ramp seconds over which users connect
 * @param {string[]} [p.extra] further simulate flags
 * @param {number} [p.helpers] extra simulate processes without a sink that share the users (0 = one process
 *   does everything). The measuring process then keeps `measured` users and the sink: its report covers its own
 *   users' updates, while the server carries the whole load.
 * @param {number} [p.measured] users of the measuring process when there are helpers (default: an equal share);
 *   the helpers split the rest.
 */
export async function loadRun({ server, name, users, rate, duration, ramp, extra = [], helpers = 0, measured }) {
  const baseFds = fdCount(server.pid);
  const load0 = loadAvg1();
  const mine = helpers > 0 ? (measured ?? Math.floor(users / (helpers + 1))) : users;
  const share = Math.floor((users - mine) / Math.max(1, helpers));
  const common = ['--url', server.url, '--rate', String(rate), '--duration', String(duration), '--ramp', String(ramp)];
  const others = [];
  for (let i = 0; i < helpers; i++) {
    const n = i === helpers - 1 ? users - mine - share * (helpers - 1) : share;
    // distinct ids; started first so their ramp overlaps the measuring process's (which waits for its sink)
    others.push(startSimulate(`${name}-helper${i + 1}`, [...common, '--users', String(n), '--id-base', String(1_000_000 * (i + 2))], {
      timeoutMs: (duration + 60) * 1000,
    }));
  }
  const sim = startSimulate(name, [...common, '--users', String(mine), '--sink', ...extra], { timeoutMs: (duration + 60) * 1000 });
  const all = [sim, ...others];

  // Steady state: all users connected (one socket each at the server), then one more second.
  let exited = false;
  for (const x of all) x.done.then(() => (exited = true), () => (exited = true));
  const deadline = performance.now() + (ramp + 20) * 1000;
  let full = false;
  let sockets = 0;
  while (!exited && performance.now() < deadline) {
    sockets = fdCount(server.pid) - baseFds;
    if (sockets >= users) {
      full = true;
      break;
    }
    await sleep(100);
  }
  let window;
  try {
    window = full && !exited ? await steadyWindow() : undefined;
    if (!window) process.stderr.write(`  (${name}: no CPU window: ${exited ? 'a simulator ended first; ' : ''}${sockets} of ${users} sockets at the server)\n`);
  } catch (e) {
    if (e?.code !== 'ENOENT') throw e;
    window = undefined; // a process ended between the check and the reading (/proc/PID gone): no window
  }

  async function steadyWindow() {
    await sleep(1000);
    const windowS = Math.max(2, duration - ramp - 3);
    const srv = cpuWindow(server.pid);
    const gens = all.map((x) => cpuWindow(x.pid));
    const busy0 = machineBusySeconds();
    const self0 = cpuSeconds(process.pid);
    await sleep(windowS * 1000);
    if (!exited) {
      const srvCpu = srv.read();
      const simCpus = gens.map((g) => g.read());
      const simS = simCpus.reduce((a, c) => a + c.cpuS, 0);
      // Everything else the machine did meanwhile (other users of the cores): it competes with both processes.
      const othersS = machineBusySeconds() - busy0 - srvCpu.cpuS - simS - (cpuSeconds(process.pid) - self0);
      return {
        server: srvCpu,
        sim: { cpuS: simS, wallS: srvCpu.wallS, percent: (simS / srvCpu.wallS) * 100, each: simCpus.map((c) => c.percent) },
        othersPercent: Math.max(0, (othersS / srvCpu.wallS) * 100),
        rssMb: rssBytes(server.pid) / 1048576,
      };
    }
    return undefined;
  }
  const { report, exitCode } = await sim.done;
  const helperReports = [];
  for (const o of others) helperReports.push((await o.done).report);
  const relayDrops = server.command.includes(' relay ') ? await droppedByReason(server) : undefined;
  const achieved = report.generator.achievedRate + helperReports.reduce((a, r) => a + r.generator.achievedRate, 0);
  const bound = [report, ...helperReports].filter((r) => r.generatorBound);
  return {
    name,
    users,
    rate,
    helpers,
    measured: mine,
    command: [sim.command, ...others.map((o) => o.command)].join(' & '),
    serverCommand: server.command,
    exitCode,
    report,
    helperReports,
    achieved,
    /** The relay's own drop counters (/metrics) at the end of the run: why an update did not reach the sink. */
    relayDrops,
    generatorBound: bound.length > 0,
    generatorBoundReasons: [...new Set(bound.flatMap((r) => r.generatorBoundReasons))],
    window,
    loadAvg: Math.max(load0, loadAvg1()),
    /** CPU microseconds the server spent per update it received, in the steady-state window. */
    usPerMsg: window && achieved > 0 ? (window.server.cpuS * 1e6) / (achieved * window.server.wallS) : undefined,
  };
}

async function droppedByReason(server) {
  try {
    const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const out = {};
    for (const m of text.matchAll(/^tdcrowd_dropped_total\{reason="([^"]+)"\} (\d+)/gm)) out[m[1]] = Number(m[2]);
    return out;
  } catch {
    return undefined;
  }
}

/** The row fields every load table shows. */
export function loadCells(r) {
  const rep = r.report;
  const l = rep.latencyMs;
  const f = (v, d = 1) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
  return {
    achieved: `${Math.round(r.achieved)}`,
    delivery:
      (rep.deliveryRatio === null ? '–' : `${(rep.deliveryRatio * 100).toFixed(2)}%`) +
      (r.relayDrops && Object.values(r.relayDrops).some((v) => v > 0)
        ? ` (relay dropped ${Object.entries(r.relayDrops).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k}`).join(', ')})`
        : ''),
    latency: `${f(l.p50)} / ${f(l.p95)} / ${f(l.p99)} / ${f(l.max)}`,
    serverCpu: r.window ? `${r.window.server.percent.toFixed(0)}%` : 'n/a',
    usPerMsg: r.usPerMsg === undefined ? 'n/a' : r.usPerMsg.toFixed(1),
    simCpu: r.window ? `${r.window.sim.percent.toFixed(0)}%${r.window.sim.each.length > 1 ? ` (${r.window.sim.each.map((p) => p.toFixed(0)).join('+')})` : ''}` : 'n/a',
    bound: r.generatorBound ? `YES: ${r.generatorBoundReasons.map(shortReason).join('; ')}` : 'no',
    rss: r.window ? `${r.window.rssMb.toFixed(0)}` : 'n/a',
    load: r.loadAvg.toFixed(1),
    others: r.window ? `${r.window.othersPercent.toFixed(0)}%` : 'n/a',
  };
}

function shortReason(s) {
  return s.replace(/: latencies measured here include that lag/, '').replace(/ \(\d+ missed by late ticks; bar [\d.]+%\)/, '');
}

/** A run sustains its load: delivery ≥ 99.9 % and p99 ≤ the bar. */
export function sustains(r, p99Ms) {
  const rep = r.report;
  return rep.deliveryRatio !== null && rep.deliveryRatio >= 0.999 && rep.latencyMs.p99 !== null && rep.latencyMs.p99 <= p99Ms;
}
